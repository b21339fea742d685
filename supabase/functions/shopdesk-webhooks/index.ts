// shopdesk-webhooks: the Supabase Edge Function that receives what a desktop counter
// cannot: WhatsApp Cloud API and Twilio webhooks (delivery/read receipts, replies) and
// the e-mail confirmation links of customer verification (issue 16).
//
// Every request is verified before anything is written:
//   GET  .../whatsapp   the Meta verification handshake (hub.mode, hub.verify_token,
//                       hub.challenge)
//   POST .../whatsapp   X-Hub-Signature-256 = "sha256=" + HMAC-SHA256(app secret, raw body)
//   POST .../twilio     X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + the
//                       form parameters sorted by name, each name followed by its value))
//   GET  .../confirm?t= an e-mail link; only the token's SHA-256 leaves this function
// and writes go through ONE database function, public.shopdesk_webhook(p_key, p_events),
// called over the project's REST API, which validates every event again.
//
// Secrets (supabase secrets set ...): SHOPDESK_REST_URL, SHOPDESK_API_KEY,
// SHOPDESK_WEBHOOK_KEY, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, TWILIO_AUTH_TOKEN,
// SHOPDESK_PUBLIC_URL (the URL Twilio calls, which its signature covers).
// No imports: only Web APIs Deno provides (fetch, crypto.subtle), so nothing is
// downloaded when it starts.

const env = (name: string): string => Deno.env.get(name) ?? "";
const MAX_BODY = 256 * 1024;
const encoder = new TextEncoder();

type Event = Record<string, string | null>;

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64(bytes: ArrayBuffer): string {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

async function hmac(hash: "SHA-256" | "SHA-1", secret: string, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey(
    "raw", encoder.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return await crypto.subtle.sign("HMAC", key, data);
}

// Constant-time comparison of two strings (signatures).
function same(a: string, b: string): boolean {
  const x = encoder.encode(a), y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function text(status: number, body: string, type = "text/plain; charset=utf-8"): Response {
  return new Response(body, { status, headers: { "content-type": type } });
}

async function rawBody(request: Request): Promise<Uint8Array<ArrayBuffer> | null> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_BODY) return null;
  const bytes = new Uint8Array(await request.arrayBuffer());
  return bytes.length > MAX_BODY ? null : bytes;
}

// The one write: the database checks the key and every field again. Answers an error
// response for the provider, or null when stored (`stored` counts what was kept).
async function store(events: Event[], result?: { stored: number }): Promise<Response | null> {
  if (events.length === 0) return null;
  const reply = await fetch(`${env("SHOPDESK_REST_URL").replace(/\/$/, "")}/rest/v1/rpc/shopdesk_webhook`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      apikey: env("SHOPDESK_API_KEY"),
      authorization: `Bearer ${env("SHOPDESK_API_KEY")}`,
    },
    body: JSON.stringify({ p_key: env("SHOPDESK_WEBHOOK_KEY"), p_events: events }),
  });
  if (reply.ok) {
    const answer = await reply.json().catch(() => ({}));
    if (result) result.stored = Number(answer?.stored ?? 0);
    return null;
  }
  const detail = await reply.text();
  console.error(`shopdesk_webhook refused (${reply.status}): ${detail.slice(0, 300)}`);
  // 4xx: the event is malformed and a retry cannot help; 5xx: let the provider retry.
  return text(reply.status >= 500 ? 503 : 422, "not stored");
}

function iso(seconds: string | undefined): string | null {
  const n = Number(seconds);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000).toISOString() : null;
}

// -- WhatsApp Cloud API ---------------------------------------------------------------------
async function whatsapp(request: Request, url: URL): Promise<Response> {
  if (request.method === "GET") {
    const mode = url.searchParams.get("hub.mode");
    const token = url.searchParams.get("hub.verify_token") ?? "";
    const challenge = url.searchParams.get("hub.challenge") ?? "";
    if (mode === "subscribe" && env("WHATSAPP_VERIFY_TOKEN") !== "" &&
        same(token, env("WHATSAPP_VERIFY_TOKEN"))) {
      return text(200, challenge);
    }
    return text(403, "verification failed");
  }
  if (request.method !== "POST") return text(405, "method not allowed");
  const body = await rawBody(request);
  if (body === null) return text(413, "too large");
  const signature = request.headers.get("x-hub-signature-256") ?? "";
  const expected = "sha256=" + hex(await hmac("SHA-256", env("WHATSAPP_APP_SECRET"), body));
  if (env("WHATSAPP_APP_SECRET") === "" || !same(signature, expected)) {
    return text(401, "bad signature");
  }
  let payload: any;
  try {
    payload = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return text(400, "not JSON");
  }
  const events: Event[] = [];
  for (const entry of Array.isArray(payload?.entry) ? payload.entry : []) {
    for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
      const value = change?.value ?? {};
      for (const s of Array.isArray(value.statuses) ? value.statuses : []) {
        const opaque = String(s?.biz_opaque_callback_data ?? "");
        const error = Array.isArray(s?.errors) && s.errors.length
          ? `WhatsApp ${s.errors[0].code ?? ""}: ${s.errors[0].title ?? s.errors[0].message ?? ""}`
            + (s.errors[0].error_data?.details ? ` - ${s.errors[0].error_data.details}` : "")
          : null;
        events.push({
          kind: "status", provider_id: String(s?.id ?? ""), status: String(s?.status ?? ""),
          message_id: opaque.split(":")[0].replaceAll("-", "") || null,
          at: iso(s?.timestamp), error,
        });
      }
      for (const m of Array.isArray(value.messages) ? value.messages : []) {
        const body = m?.type === "text" ? String(m?.text?.body ?? "")
          : m?.type === "button" ? String(m?.button?.text ?? "")
          : m?.type === "interactive" ? String(m?.interactive?.button_reply?.title ?? "")
          : `[${String(m?.type ?? "message")}]`;
        events.push({
          kind: "inbound", channel: "whatsapp", provider_id: String(m?.id ?? ""),
          from: "+" + String(m?.from ?? "").replace(/^\+/, ""), body, at: iso(m?.timestamp),
        });
      }
    }
  }
  return (await store(events)) ?? text(200, "ok");
}

// -- Twilio --------------------------------------------------------------------------------
const TWILIO_STATUS: Record<string, string> = {
  sent: "sent", delivered: "delivered", read: "read", undelivered: "failed", failed: "failed",
};

async function twilio(request: Request, url: URL): Promise<Response> {
  if (request.method !== "POST") return text(405, "method not allowed");
  const body = await rawBody(request);
  if (body === null) return text(413, "too large");
  const form = new URLSearchParams(new TextDecoder().decode(body));
  // Twilio signs the URL it called: the public one, not what the platform forwards here.
  const called = env("SHOPDESK_PUBLIC_URL").replace(/\/$/, "") + "/twilio" + url.search;
  const names = [...new Set(form.keys())].sort();
  let signed = called;
  for (const name of names) for (const value of form.getAll(name)) signed += name + value;
  const expected = base64(await hmac("SHA-1", env("TWILIO_AUTH_TOKEN"), encoder.encode(signed)));
  const signature = request.headers.get("x-twilio-signature") ?? "";
  if (env("TWILIO_AUTH_TOKEN") === "" || !same(signature, expected)) {
    return text(401, "bad signature");
  }
  const events: Event[] = [];
  const status = form.get("MessageStatus") ?? form.get("SmsStatus") ?? "";
  const sid = form.get("MessageSid") ?? form.get("SmsSid") ?? "";
  if (status === "received" || (!form.get("MessageStatus") && form.get("Body") !== null)) {
    events.push({ kind: "inbound", channel: "sms", provider_id: sid,
                  from: form.get("From") ?? "", body: form.get("Body") ?? "", at: null });
  } else if (TWILIO_STATUS[status]) {
    const code = form.get("ErrorCode");
    events.push({ kind: "status", provider_id: sid, status: TWILIO_STATUS[status],
                  message_id: (url.searchParams.get("m") ?? "").replaceAll("-", "") || null,
                  at: null, error: code ? `Twilio error ${code}` : null });
  }
  const refused = await store(events);
  if (refused) return refused;
  return text(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
              "text/xml; charset=utf-8");
}

// -- e-mail confirmation links -----------------------------------------------------------------
function page(title: string, message: string, status: number): Response {
  const safe = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return text(status, `<!doctype html><html><head><meta charset="utf-8"><title>${safe(title)}` +
    `</title></head><body style="font-family:sans-serif"><h1>${safe(title)}</h1>` +
    `<p>${safe(message)}</p></body></html>`, "text/html; charset=utf-8");
}

async function confirm(request: Request, url: URL): Promise<Response> {
  if (request.method !== "GET") return text(405, "method not allowed");
  const token = url.searchParams.get("t") ?? "";
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
    return page("Link not valid", "This confirmation link is not complete.", 400);
  }
  const linkHash = hex(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
  const result = { stored: 0 };
  const refused = await store([{ kind: "email_link", link_hash: linkHash, at: null }], result);
  if (refused) return page("Please try again later", "We could not record your confirmation.", 503);
  if (result.stored === 0) {
    return page("Link expired", "This link has expired or was already used; ask the shop " +
                "for a new one.", 410);
  }
  return page("Thank you", "Your e-mail address is confirmed. You can close this page.", 200);
}

export async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const route = url.pathname.replace(/\/+$/, "").split("/").pop();
  try {
    if (route === "whatsapp") return await whatsapp(request, url);
    if (route === "twilio") return await twilio(request, url);
    if (route === "confirm") return await confirm(request, url);
    return text(404, "not found");
  } catch (error) {
    console.error(`shopdesk-webhooks: ${error}`);
    return text(503, "try again");
  }
}

const port = Number(env("PORT"));
if (Number.isInteger(port) && port > 0) {
  Deno.serve({ port, hostname: "127.0.0.1", onListen: () => console.log(`listening ${port}`) }, handle);
} else {
  Deno.serve(handle);
}
