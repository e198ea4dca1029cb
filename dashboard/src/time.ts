/** 24-hour HH:MM:SS in the viewer's time zone: fixed width, so columns of times line up. */
export const clock = (iso: string): string =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
