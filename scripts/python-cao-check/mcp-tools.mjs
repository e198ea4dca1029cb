// The Python CAO's MCP server (its client code for handoff, assign, send_message, load_skill, delete_terminal),
// driven by the MCP SDK client against this server (run.sh starts both).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
const base = `http://127.0.0.1:${process.env.CAO_API_PORT}`;
const [caller] = await (await fetch(`${base}/sessions/cao-check/terminals`)).json();
const client = new Client({ name: "pyc", version: "1" });
await client.connect(
  new StdioClientTransport({
    command: process.env.PYTHON,
    args: ["-c", "from cli_agent_orchestrator.mcp_server.server import main; main()"],
    env: {
      ...process.env,
      PYTHONPATH: process.env.STUBS,
      CAO_TERMINAL_ID: caller.id,
      CAO_API_PORT: process.env.CAO_API_PORT,
    },
    stderr: "ignore",
  }),
);
const tools = (await client.listTools()).tools.map((t) => t.name);
console.log("tools:", tools.join(", "));
const show = (name, r) =>
  console.log(`${name}:`, JSON.stringify(r.structuredContent ?? r.content?.[0]?.text).slice(0, 400));
show(
  "handoff",
  await client.callTool({
    name: "handoff",
    arguments: { agent_profile: "developer", message: "summarise the README", timeout: 60 },
  }),
);
const assigned = await client.callTool({
  name: "assign",
  arguments: { agent_profile: "reviewer", message: "review the change" },
});
show("assign", assigned);
const workerId = (assigned.structuredContent ?? JSON.parse(assigned.content[0].text)).terminal_id;
const worker = await (await fetch(`${base}/terminals/${workerId}`)).json();
console.log("worker record:", JSON.stringify(worker));
show(
  "send_message",
  await client.callTool({
    name: "send_message",
    arguments: { receiver_id: workerId, message: "also check the tests" },
  }),
);
console.log(
  "worker inbox:",
  JSON.stringify(await (await fetch(`${base}/terminals/${workerId}/inbox/messages?limit=5`)).json()).slice(0, 400),
);
show("load_skill", await client.callTool({ name: "load_skill", arguments: { name: "cao-worker-protocols" } }));
show("delete_terminal", await client.callTool({ name: "delete_terminal", arguments: { terminal_id: workerId } }));
console.log("after delete:", (await fetch(`${base}/terminals/${workerId}`)).status);
await client.close();
