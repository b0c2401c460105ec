// A client of "agent-exec mcp" built on the official MCP TypeScript SDK,
// for integration_test/tasks_test.go: each step connects a new client to a
// new server (spawned over stdio), does one thing with MCP tasks and prints
// one JSON line with what it saw. The server stops when the step ends.
//
//   node tasks.mjs STEP AGENT_EXEC ROOT [ARG]
//
// With an http(s):// URL as AGENT_EXEC, the step connects to that server
// over streamable HTTP instead (bearer token in $MCP_BEARER_TOKEN; ROOT is
// then unused), and the server is left running.
//
// Steps: create (a task for run of ARG, a shell command), result (tasks/get
// then tasks/result of task ARG), cancel (tasks/cancel of task ARG, then
// tasks/get and an observe of its job), errors (the failure modes).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';

const [step, bin, root, arg] = process.argv.slice(2);

const client = new Client({ name: 'tsclient-tasks', version: '1.0.0' });
await client.connect(/^https?:\/\//.test(bin)
  ? new StreamableHTTPClientTransport(new URL(bin), {
    requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_BEARER_TOKEN}` } },
  })
  : new StdioClientTransport({
    command: bin,
    args: ['--root', root, 'mcp'],
    env: process.env,
    stderr: 'inherit',
  }));

// rpcError says how a request failed: its JSON-RPC code and message.
async function rpcError(f) {
  try {
    await f();
    return { code: null };
  } catch (e) {
    return { code: e.code ?? null, message: String(e.message) };
  }
}

const out = {};
try {
  out.serverTasks = client.getServerCapabilities()?.tasks ?? null;
  switch (step) {
    case 'create': {
      const { tools } = await client.listTools();
      out.taskSupport = Object.fromEntries(tools.map(t => [t.name, t.execution?.taskSupport ?? null]));
      const created = await client.request(
        { method: 'tools/call', params: { name: 'run', arguments: { command: arg }, task: { ttl: 600000 } } },
        CreateTaskResultSchema);
      out.task = created.task;
      break;
    }
    case 'result': {
      out.get = await client.experimental.tasks.getTask(arg);
      out.result = await client.experimental.tasks.getTaskResult(arg, CallToolResultSchema);
      out.list = (await client.experimental.tasks.listTasks()).tasks.map(t => t.taskId);
      break;
    }
    case 'cancel': {
      out.cancel = await client.experimental.tasks.cancelTask(arg);
      out.get = await client.experimental.tasks.getTask(arg);
      const jobId = arg.split('.')[0];
      out.observe = await client.callTool({ name: 'observe', arguments: { job_id: jobId } });
      out.again = await rpcError(() => client.experimental.tasks.cancelTask(arg));
      break;
    }
    case 'errors': {
      out.unknownGet = await rpcError(() => client.experimental.tasks.getTask('no-such-task'));
      out.unknownResult = await rpcError(() => client.experimental.tasks.getTaskResult('01jzzzzzzzzzzzzzzzzzzzzzzz.0123456789abcdef', CallToolResultSchema));
      out.unknownCancel = await rpcError(() => client.experimental.tasks.cancelTask('no-such-task'));
      out.noTaskSupport = await rpcError(() => client.request(
        { method: 'tools/call', params: { name: 'kill', arguments: { job_id: 'x' }, task: {} } },
        CreateTaskResultSchema));
      break;
    }
    default:
      throw new Error(`unknown step ${step}`);
  }
} finally {
  await client.close();
}
console.log(JSON.stringify(out));
