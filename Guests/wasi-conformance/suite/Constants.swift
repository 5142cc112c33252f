// WIT flag bits and enum case indices used by the checks (declaration order in the WIT).

/// open-flags: create, directory, exclusive, truncate.
let openCreate: Int32 = 1, openDirectory: Int32 = 2, openExclusive: Int32 = 4, openTruncate: Int32 = 8
/// descriptor-flags: read, write, …, mutate-directory (bit 5).
let descriptorRead: Int32 = 1, descriptorWrite: Int32 = 2, descriptorMutateDirectory: Int32 = 32
/// descriptor-type cases.
let typeDirectory: UInt8 = 3, typeRegularFile: UInt8 = 6
/// error-code cases.
let errorBadDescriptor: UInt8 = 3, errorExist: UInt8 = 7, errorFileTooLarge: UInt8 = 8, errorInvalid: UInt8 = 12
let errorIsDirectory: UInt8 = 14, errorNoEntry: UInt8 = 20, errorNotDirectory: UInt8 = 24, errorNotEmpty: UInt8 = 25
let errorUnsupported: UInt8 = 27, errorNotPermitted: UInt8 = 31
/// new-timestamp cases: no-change, now, timestamp(datetime).
let timestampNoChange: Int32 = 0, timestampNow: Int32 = 1, timestampExact: Int32 = 2
/// advice case `sequential`.
let adviceSequential: Int32 = 1
