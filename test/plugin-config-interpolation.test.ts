/**
 * DESIGN §13, `${VAR}` interpolation in config.yaml, through a real drop-in and a real listening server: variables
 * from the server's environment, fallbacks, `$${` escapes, nested values, an unset variable; and GET /plugins/:name
 * showing the section as written, so secrets from the environment are not echoed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RAW_PLUGIN } from "./helpers/config-plugins.js";
import { startConfigServer, stopConfigServers } from "./helpers/config-server.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";

afterEach(async () => {
  await stopConfigServers();
  removeTempDirs();
});

describe("${VAR} interpolation", () => {
  it("replaces variables from the server's environment, with fallbacks and $${ escapes, in nested values", async () => {
    const r = await startConfigServer({
      plugins: { "fine.js": RAW_PLUGIN },
      env: { HOOK_HOST: "hooks.example", HOOK_TOKEN: "s3cret" },
      config: `plugins:
  fine:
    config:
      url: https://\${HOOK_HOST}/post
      headers: [ "Bearer \${HOOK_TOKEN}" ]
      region: \${HOOK_REGION:-eu}
      literal: $\${NOT_A_VAR}
      count: 3
`,
    });
    expect(r.record("fine")).toEqual([
      {
        at: "setup",
        config: {
          url: "https://hooks.example/post",
          headers: ["Bearer s3cret"],
          region: "eu",
          literal: "${NOT_A_VAR}",
          count: 3,
        },
      },
    ]);
    // GET /plugins/:name shows the section as written: secrets from the environment are not echoed.
    const info = await r.http("GET", "/plugins/fine");
    expect(info.body.config).toEqual({
      url: "https://${HOOK_HOST}/post",
      headers: ["Bearer ${HOOK_TOKEN}"],
      region: "${HOOK_REGION:-eu}",
      literal: "$${NOT_A_VAR}",
      count: 3,
    });
  });

  it("an unset variable fails that plugin with an error naming the variable and the field", async () => {
    const r = await startConfigServer({
      plugins: { "fine.js": RAW_PLUGIN, "other.js": RAW_PLUGIN },
      config: `plugins:\n  fine:\n    config:\n      hook: { url: "\${CAO_TEST_UNSET_VARIABLE}" }\n`,
    });
    expect(r.row("fine")).toMatchObject({
      status: "failed",
      error: expect.stringContaining("config.hook.url: environment variable CAO_TEST_UNSET_VARIABLE is not set"),
    });
    expect(r.row("other")?.status).toBe("active");
  });
});
