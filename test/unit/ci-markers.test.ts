/**
 * Agents never inherit the server's CI markers: a CLI that sees them runs headless (Gemini CLI exits 42 asking for a
 * prompt on stdin), while an agent under CAO is always an interactive TUI. The real Gemini CLI test covers the
 * effect when the suite itself runs with CI=true (as .ci/run does); this pins which variables count.
 */
import { expect, it } from "vitest";
import { ciMarkers } from "../../src/services/terminals/launcher.js";

it("CI, CONTINUOUS_INTEGRATION and CI_* are the markers; look-alikes are not", () => {
  const env = {
    CI: "true",
    CI_PIPELINE_ID: "7",
    CONTINUOUS_INTEGRATION: "1",
    PATH: "/usr/bin",
    NOT_CI: "1",
    CIRCLE: "x",
    HOME: "/root",
  };
  expect(ciMarkers(env).sort()).toEqual(["CI", "CI_PIPELINE_ID", "CONTINUOUS_INTEGRATION"]);
  expect(ciMarkers({ PATH: "/usr/bin" })).toEqual([]);
});
