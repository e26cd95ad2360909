/** The description of the `cursor` of every event a subscription delivers. */
export const RESUME_CURSOR =
  'Pass as `after` when subscribing again to receive what came after this event (null: live only).';
