// An Alibaba Cloud API error: the code, HTTP status and message the cloud answers with. The service
// renders it as {RequestId, HostId, Code, Message, Recommend}.
export class AcsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** ECS's wording for a missing mandatory parameter. */
export const missing = (name: string) => new AcsError("MissingParameter", 400, `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
