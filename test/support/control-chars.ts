/** A raw control character that must never reach the operator's screen (C0 but tab and newline, DEL, C1, RLO). */
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;
