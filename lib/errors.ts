/** Typed errors carry what an operator needs to act; `name` becomes the Step Functions Error. */
export class AutoscalerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad configuration or execution input: each issue names its path and the rule it broke. */
export class ValidationError extends AutoscalerError {
  constructor(readonly what: string, readonly issues: string[]) {
    super(`invalid ${what}: ${issues.join('; ')}`);
  }
}

/** The broker could not be reached or answered with an error: nothing may be scaled down on it. */
export class BrokerUnavailableError extends AutoscalerError {}

/** MeasureQueues' observation is gone from the state store: the cycle plans nothing on it. */
export class MeasurementLostError extends AutoscalerError {}

/** A state's output over its byte budget: failed where Catch still runs, not past Step Functions' limit. */
export class PayloadTooLargeError extends AutoscalerError {}
