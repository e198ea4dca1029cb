/**
 * The page hears every event the server emits. EventSource hands a named SSE event only to a listener registered
 * for that name, so an event type the page does not list never reaches it: the page's list must be the server's.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FEED_EVENT_TYPES } from "../dashboard/src/feed-events.js";
import { EVENT_CLASSES } from "../src/plugins/api/events.js";

describe("the dashboard and the server's events", () => {
  it("the live feed listens for every event type the server has a class for, and no other", () => {
    expect([...FEED_EVENT_TYPES].sort()).toEqual(Object.keys(EVENT_CLASSES).sort());
    const feed = fs.readFileSync(path.resolve("dashboard/src/live-feed.ts"), "utf8");
    expect(feed).toMatch(/for \(const type of FEED_EVENT_TYPES\) source\.addEventListener\(type/);
  });

  it("the built page (dist/dashboard) carries every event type name", () => {
    const assets = path.resolve("dist/dashboard/assets");
    const bundle = fs
      .readdirSync(assets)
      .filter((file) => file.endsWith(".js"))
      .map((file) => fs.readFileSync(path.join(assets, file), "utf8"))
      .join("\n");
    const missing = Object.keys(EVENT_CLASSES).filter(
      (type) => !['"', "'", "`"].some((quote) => bundle.includes(`${quote}${type}${quote}`)),
    );
    expect(missing).toEqual([]);
  });
});
