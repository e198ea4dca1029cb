// Helper process of bench/sse-fanout.mjs (not a benchmark): opens N GET /events streams to URL and, once each has
// received EXPECTED events, prints the time from the first event received to the last client complete.
// usage: node bench/sse-clients.mjs URL N EXPECTED
import http from "node:http";

const [url, clients, expected] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
let first;
let complete = 0;
let opened = 0;
for (let c = 0; c < clients; c++) {
  let count = 0;
  let tail = "";
  http.get(`${url}/events`, { headers: { accept: "text/event-stream" }, agent: false }, (response) => {
    response.setEncoding("utf8");
    if (++opened === clients) process.stdout.write("ready\n");
    response.on("data", (chunk) => {
      first ??= performance.now();
      // Count frames by their "id: " lines; a frame may be split across chunks, so keep the tail of the last one.
      const text = tail + chunk;
      const lastBreak = text.lastIndexOf("\n");
      const whole = text.slice(0, lastBreak + 1);
      tail = text.slice(lastBreak + 1);
      let at = whole.indexOf("\nid: ");
      if (whole.startsWith("id: ")) count++;
      while (at !== -1) {
        count++;
        at = whole.indexOf("\nid: ", at + 1);
      }
      if (count >= expected && !response.done) {
        response.done = true;
        if (++complete === clients) {
          process.stdout.write(`done ${performance.now() - first}\n`);
          process.exit(0);
        }
      }
    });
  });
}
