import type Redis from 'ioredis';
import { waitFor } from '../../local/processes';

/**
 * What ioredis printed (console.error's calls) while a connection of it was refused: `user`
 * (password "pw", every right) opens what `open` builds on `url` with those credentials; then its
 * password changes, the connection whose CLIENT LIST line is the user's and passes `which` is
 * cut, and once two of its retries are refused (ACL LOG) the closer `open` returned runs. The user
 * and its refused logins are removed after, so the ACL log is left empty for the next test.
 */
export async function printedWhileRefused(admin: Redis, url: string, user: string, which: (clientLine: string) => boolean, open: (url: string) => Promise<() => void>): Promise<unknown[][]> {
  await admin.call('ACL', 'SETUSER', user, 'reset', 'on', '>pw', '~*', '&*', '+@all');
  await admin.call('ACL', 'LOG', 'RESET');
  const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const close = await open(url.replace('redis://', `redis://${user}:pw@`));
    await admin.call('ACL', 'SETUSER', user, 'resetpass', '>changed');
    const line = ((await admin.client('LIST')) as string).split('\n').find((l) => l.includes(` user=${user} `) && which(l));
    await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line ?? '')?.[1] ?? 'none');
    const refused = async () => ((await admin.call('ACL', 'LOG')) as unknown[][]).reduce((n, e) => n + Number(e[e.indexOf('count') + 1]), 0);
    await waitFor('two logins refused', async () => (await refused()) >= 2, 5000, 10);
    close();
    return [...printed.mock.calls];
  } finally {
    printed.mockRestore();
    await admin.call('ACL', 'DELUSER', user);
    await admin.call('ACL', 'LOG', 'RESET');
  }
}
