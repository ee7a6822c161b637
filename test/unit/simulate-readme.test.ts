import { readFileSync } from 'node:fs';
import { readmeSample, README, withSample } from '../../scripts/readme-simulate';

describe('the README\'s simulate sample', () => {
  test('is what `simulate --trace bursts` prints today (regenerate: npm run docs:readme)', async () => {
    const readme = readFileSync(README, 'utf8');
    expect(withSample(readme, await readmeSample())).toBe(readme);
  });
});
