/** A settled promise's error, as name and message (a resolved one fails the test). */
export async function failure(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected a failure, got a result');
}
