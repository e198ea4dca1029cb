/**
 * A handler call given up because the plugin's worker thread ended under it (it timed out, ran out of memory or died).
 * The plugin host has already logged why; the queue counts the call as timed out, without a WARN of its own.
 */
export class AbandonedCall extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AbandonedCall";
  }
}
