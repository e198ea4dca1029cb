/**
 * Text typed into an agent must stay text (docs/contract.md#http-api). Inside a bracketed paste, ESC `[201~` would end the paste and
 * everything after it would arrive as keystrokes (`\r/exit\r` leaves the agent, the next message lands in a shell).
 * So every C0 control except tab and newline, DEL, and the C1 controls (U+0080–U+009F, which some terminals read
 * as 8-bit ESC sequences, e.g. U+009B as CSI) are removed. Line ends become LF: a CR typed inside a paste is Enter
 * to many TUIs.
 */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function typedText(message: string): string {
  return message.replace(/\r\n?/g, "\n").replace(CONTROLS, "");
}
