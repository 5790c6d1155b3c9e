// Volcengine's errors as named classes (moto's exceptions.py): each code and message written once.
// Codes from API-NOTES (gateway and ECS codes; "Corrections": public error codes, docs 6369/68677) and
// the action docs; where no source names the code, the setting that chooses it says so.

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const missingParameter = (name: string) => new ApiError("MissingParameter", 400, `The required parameter ${name} is missing.`);
export const invalidParameter = (name: string, why: string) => new ApiError("InvalidParameter", 400, `The parameter ${name} is invalid: ${why}.`);
export const instanceNotFound = (id: string) => new ApiError("InvalidInstance.NotFound", 404, `The specified instance ${id} does not exist.`);
export const imageNotFound = (id: string) => new ApiError("InvalidImage.NotFound", 404, `The specified image ${id} does not exist.`);
export const volumeNotFound = (id: string) => new ApiError("InvalidVolume.NotFound", 404, `The specified volume ${id} does not exist.`);
export const snapshotNotFound = (id: string) => new ApiError("InvalidSnapshot.NotFound", 404, `The specified snapshot ${id} does not exist.`);
export const snapshotGroupNotFound = (id: string) => new ApiError("InvalidSnapshotGroup.NotFound", 404, `The specified snapshot group ${id} does not exist.`);
export const instanceStatus = (id: string, status: string, action: string) => new ApiError("InvalidInstanceStatus", 400, `The status ${status} of the specified instance ${id} does not support ${action}.`);
export const imageStatus = (id: string, status: string) => new ApiError("InvalidImageStatus", 400, `The status ${status} of the specified image ${id} does not support this request.`);
export const dryRun = () => new ApiError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
export const tooManyTags = (n: number) => new ApiError("InvalidParameter", 400, `A resource takes at most 20 tags; this request would leave ${n}.`);
export const reservedTagKey = (key: string) => new ApiError("InvalidParameter", 400, `The tag key ${key} starts with volc: or sys:, which are reserved for the system.`);
