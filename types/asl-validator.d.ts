// asl-validator 4 ships no types.
declare module 'asl-validator' {
  const validator: (definition: unknown, options?: Record<string, unknown>) => { isValid: boolean; errors: unknown[] };
  export default validator;
}
