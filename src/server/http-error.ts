// The one error type of the explorer's API: a status and a message for the user. The server answers it
// as JSON {"error": message} with that status; any other error is a 500 whose details stay in the log.

/** A request the explorer refuses or cannot serve, with the HTTP status that says why. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}
