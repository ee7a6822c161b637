import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'require-debian-packages.sh');

/**
 * A machine without the packages: a PATH holding only the tools the script uses, stand-ins for
 * id, sudo and apt-get that record their calls, a python3 that imports nothing, and no RabbitMQ.
 */
function bareMachine(o: { uid: number; sudo: 'none' | 'passwordless' | 'password'; aptFails?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'bare-'));
  for (const tool of ['bash', 'mktemp', 'tail', 'rm', 'env', 'cat', 'true']) symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
  const script = (name: string, body: string) => { writeFileSync(join(dir, name), `#!/usr/bin/bash\n${body}\n`); chmodSync(join(dir, name), 0o755); };
  script('id', `echo ${o.uid}`);
  script('python3', 'exit 1');
  script('apt-get', `echo "apt-get $*" >> ${dir}/calls; ${o.aptFails ? 'echo "E: Unable to locate package" >&2; exit 100' : 'exit 0'}`);
  if (o.sudo !== 'none') script('sudo', o.sudo === 'passwordless' ? `echo "sudo $*" >> ${dir}/calls; [ "$1" = -n ] && shift; exec "$@"` : 'exit 1');
  const calls = () => { try { return readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n'); } catch { return []; } };
  const exec = () => run('/usr/bin/bash', [SCRIPT], { env: { PATH: dir, DEBIAN_PYTHON: join(dir, 'python3'), RABBITMQ_SERVER_SCRIPT: join(dir, 'rabbitmq-server') } }).then((r) => ({ code: 0, ...r }), (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }));
  return { exec, calls, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('scripts/require-debian-packages.sh (npm start, npm test, npm run bench)', () => {
  test.each([
    { who: 'root', uid: 0, sudo: 'none' as const, prefix: '' },
    { who: 'a user with password-less sudo', uid: 1000, sudo: 'passwordless' as const, prefix: 'sudo -n ' },
  ])('as $who, installs what is missing and says so in one line', async ({ uid, sudo, prefix }) => {
    const m = bareMachine({ uid, sudo });
    try {
      const r = await m.exec();
      expect(r.code).toBe(0);
      expect(r.stderr.trim().split('\n')).toEqual(['installing missing Debian packages: redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal (apt-get install -y redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal)']);
      expect(m.calls().filter((c) => c.startsWith('apt-get'))).toEqual(['apt-get update -qq', 'apt-get install -y -qq redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal']);
      if (prefix) expect(m.calls()).toContain(`${prefix}apt-get update -qq`);
    } finally {
      m.cleanup();
    }
  });

  test('without root or password-less sudo, stops with the one command to run', async () => {
    const m = bareMachine({ uid: 1000, sudo: 'password' });
    try {
      const r = await m.exec();
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('missing Debian packages: redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal — install them with: sudo apt-get install -y redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal\n');
      expect(m.calls()).toEqual([]);
    } finally {
      m.cleanup();
    }
  });

  test('an install that fails shows apt-get\'s output and the command to run', async () => {
    const m = bareMachine({ uid: 0, sudo: 'none', aptFails: true });
    try {
      const r = await m.exec();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/E: Unable to locate package/);
      expect(r.stderr.trim().split('\n').pop()).toBe('could not install redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal: see apt-get\'s output above; then run: sudo apt-get install -y redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal');
    } finally {
      m.cleanup();
    }
  });

  test('with everything present, says nothing', async () => {
    const r = await run('/usr/bin/bash', [SCRIPT]);
    expect(r.stdout + r.stderr).toBe('');
  });
});
