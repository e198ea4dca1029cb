import type { CaoEvent } from "../plugins/api/events.js";

/**
 * What the services emit events into. They know nothing of plugins beyond this: the plugin registry is one sink, and
 * anything else that wants to hear what happened can be one too.
 */
export interface EventSink {
  dispatch(event: CaoEvent): void;
}
