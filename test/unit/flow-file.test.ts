/** Flow files (docs/flows.md#flow-files): front matter checks naming the field, and `[[variable]]` prompts. */
import { describe, expect, it } from "vitest";
import { flowFileText, parseFlowText, renderPrompt } from "../../src/services/flows/flow-file.js";
import { ValidationError } from "../../src/util/validate.js";

const text = (front: string, body = "Do the thing.") => `---\n${front}\n---\n${body}\n`;

describe("parseFlowText", () => {
  it("reads the Python CAO's fields; the body, trimmed, is the prompt template", () => {
    expect(
      parseFlowText(
        text(
          'name: morning\nschedule: "30 7 * * *"\nagent_profile: developer\nprovider: mock\nscript: ./check.sh\nengine: v2',
          "\n  Hello [[who]].  \n",
        ),
        "f.md",
      ),
    ).toEqual({
      name: "morning",
      schedule: "30 7 * * *",
      agentProfile: "developer",
      provider: "mock",
      script: "./check.sh",
      promptTemplate: "Hello [[who]].",
    });
    expect(parseFlowText(text('name: a\nschedule: "* * * * *"\nagent_profile: developer'), "f.md")).toEqual({
      name: "a",
      schedule: "* * * * *",
      agentProfile: "developer",
      script: "",
      promptTemplate: "Do the thing.",
    });
  });

  it.each([
    ["no front matter at all", "Just a prompt.", /^f\.md has no front matter/],
    ["broken YAML", text("name: [a"), /^f\.md has invalid YAML front matter/],
    ["a list as front matter", text("- a\n- b"), /the front matter must be a mapping/],
    ["no name", text('schedule: "* * * * *"\nagent_profile: developer'), /missing required field name$/],
    ["no schedule", text("name: a\nagent_profile: developer"), /missing required field schedule$/],
    ["no agent_profile", text('name: a\nschedule: "* * * * *"'), /missing required field agent_profile$/],
    ["a bad name", text('name: a.b\nschedule: "* * * * *"\nagent_profile: developer'), /^name must be/],
    [
      "a bad schedule",
      text('name: a\nschedule: "* * * * mon-"\nagent_profile: developer'),
      /^schedule "\* \* \* \* mon-" is not a valid cron expression: day of week value "" /,
    ],
    [
      "a numeric schedule",
      text("name: a\nschedule: 5\nagent_profile: developer"),
      /^schedule must be a cron expression string/,
    ],
    ["a bad profile", text('name: a\nschedule: "* * * * *"\nagent_profile: ../x'), /^agent_profile must be/],
    [
      "a bad provider",
      text('name: a\nschedule: "* * * * *"\nagent_profile: d\nprovider: 3'),
      /^provider must be a provider name/,
    ],
    ["a bad script", text('name: a\nschedule: "* * * * *"\nagent_profile: d\nscript: [1]'), /^script must be a path/],
  ])("refuses %s with a ValidationError naming it", (_what, source, message) => {
    expect(() => parseFlowText(source, "f.md")).toThrow(ValidationError);
    expect(() => parseFlowText(source, "f.md")).toThrow(message);
  });

  it("reads back what flowFileText writes", () => {
    const flow = {
      name: "n",
      schedule: "*/5 * * * *",
      agentProfile: "developer",
      promptTemplate: "Line 1\n---\nLine 3",
    };
    expect(parseFlowText(flowFileText(flow), "x")).toEqual({ ...flow, script: "" });
    expect(parseFlowText(flowFileText({ ...flow, provider: "codex" }), "x").provider).toBe("codex");
  });
});

describe("renderPrompt", () => {
  it("replaces every [[key]] with its value, numbers and booleans as text", () => {
    expect(
      renderPrompt("[[url]] is down ([[code]], retry=[[retry]]); [[url]] again", { url: "u", code: 503, retry: false }),
    ).toBe("u is down (503, retry=false); u again");
    expect(renderPrompt("no variables [here]", {})).toBe("no variables [here]");
  });

  it("refuses a template whose variables are missing, naming them all", () => {
    expect(() => renderPrompt("[[b]] [[a]] [[c]]", { c: 1 })).toThrow("missing template variables: a, b");
  });
});
