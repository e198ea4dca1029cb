import type { FastifyInstance } from "fastify";
import type { InboxRecord } from "../../clients/database.js";
import { INBOX_STATUSES, type InboxService } from "../../services/inbox-service.js";
import { message, receiverParams, terminalId, terminalParams } from "../schemas.js";

function view(record: InboxRecord) {
  return {
    id: record.id,
    sender_id: record.sender_id,
    receiver_id: record.receiver_id,
    message: record.message,
    status: record.status,
    created_at: record.created_at,
  };
}

export function inboxRoutes(app: FastifyInstance, deps: { inbox: InboxService }): void {
  const { inbox } = deps;

  app.post<{ Params: { receiver_id: string }; Body: { sender_id: string; message: string } }>(
    "/terminals/:receiver_id/inbox/messages",
    {
      schema: {
        params: receiverParams,
        body: { type: "object", required: ["sender_id", "message"], properties: { sender_id: terminalId, message } },
      },
    },
    async (request) => {
      const record = await inbox.post(request.params.receiver_id, request.body.sender_id, request.body.message);
      return {
        success: true,
        message_id: record.id,
        sender_id: record.sender_id,
        receiver_id: record.receiver_id,
        created_at: record.created_at,
      };
    },
  );

  app.get<{ Params: { terminal_id: string }; Querystring: { limit?: string; status?: string } }>(
    "/terminals/:terminal_id/inbox/messages",
    {
      schema: {
        params: terminalParams,
        querystring: {
          type: "object",
          properties: {
            limit: { type: "string", pattern: "^[0-9]{1,4}$" },
            status: { type: "string", enum: [...INBOX_STATUSES] },
          },
        },
      },
    },
    async (request) => {
      const { limit, status } = request.query;
      return inbox
        .list(request.params.terminal_id, {
          ...(limit !== undefined ? { limit: Number(limit) } : {}),
          ...(status !== undefined ? { status } : {}),
        })
        .map(view);
    },
  );
}
