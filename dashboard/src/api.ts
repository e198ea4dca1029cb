/** Same-origin calls to cao-server. Errors carry the server's `{detail}` so the page can show it as is. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

export async function api<T>(
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: Record<string, unknown>,
): Promise<T> {
  // No content-type without a body: fastify refuses an empty body declared as JSON.
  const init: RequestInit =
    body === undefined
      ? { method }
      : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, `cao-server did not answer ${method} ${path}`);
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text === "" ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const detail = (data as { detail?: unknown } | undefined)?.detail;
    throw new ApiError(
      response.status,
      typeof detail === "string" ? detail : `${method} ${path} answered ${response.status}`,
    );
  }
  return data as T;
}

export const enc = encodeURIComponent;
