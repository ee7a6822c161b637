// After a test file that started real Celery workers: one line saying which Celery they ran
// (Debian's 5.2.6, or the release CELERY_PYTHONPATH put first), so a run on both lines shows each.
import { relative } from 'node:path';
import { celeryVersion, workersStarted } from '../../local/celery/worker';

afterAll(async () => {
  if (workersStarted() === 0) return;
  const file = relative(process.cwd(), expect.getState().testPath ?? '');
  const via = process.env.CELERY_PYTHONPATH ? ' (CELERY_PYTHONPATH)' : ' (Debian)';
  process.stderr.write(`${file}: ${workersStarted()} Celery workers ran celery ${await celeryVersion()}${via}\n`);
});
