/** Machine-readable codes of expected failures; clients switch on these, people read `message`. */
export enum ErrorCode {
  NotFound = 'NotFound',
  DuplicateKey = 'DuplicateKey',
  UnknownReference = 'UnknownReference',
  InvalidInput = 'InvalidInput',
  InvalidPropertyValue = 'InvalidPropertyValue',
  UnknownParent = 'UnknownParent',
  DuplicatePath = 'DuplicatePath',
  HierarchyCycle = 'HierarchyCycle',
  LevelNotAllowed = 'LevelNotAllowed',
  InvalidTransition = 'InvalidTransition',
  ReleaseBlocked = 'ReleaseBlocked',
  ScheduleBlocked = 'ScheduleBlocked',
}
