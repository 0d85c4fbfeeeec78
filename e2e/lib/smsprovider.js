// A local stand-in for Alibaba Cloud SMS (dysmsapi, SendSms 2017-05-25) for
// the notification tests. It checks every request as the provider's
// documentation specifies, with its own code: POST form, the required
// parameters, a fresh timestamp, and the RPC signature V1 recomputed here
// (sort, RFC 3986-encode, POST&%2F&…, HMAC-SHA1 keyed with secret + "&",
// base64). It answers as the provider does: {"Code":"OK","BizId":…} or an
// error code chosen by the test.
import http from 'node:http';
import crypto from 'node:crypto';

const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

export function signAliyun(params, secret) {
  const q = Object.keys(params).filter((k) => k !== 'Signature').sort().map((k) => `${enc(k)}=${enc(params[k])}`).join('&');
  return crypto.createHmac('sha1', secret + '&').update(`POST&${enc('/')}&${enc(q)}`).digest('base64');
}

const REQUIRED = ['AccessKeyId', 'Action', 'Format', 'RegionId', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion',
  'Timestamp', 'Version', 'Signature', 'PhoneNumbers', 'SignName', 'TemplateCode', 'TemplateParam'];

// startAliyun listens on 127.0.0.1 and resolves to { url, requests, answer, close }.
// requests lists every request: { phone, params, raw, valid, problem, delivered }.
// answer(phone) returns '' for success or a provider error code.
export async function startAliyun({ keyId, secret }) {
  const requests = [];
  const box = { answer: () => '' };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      const r = { raw, params: {}, valid: false, problem: '', delivered: false, phone: '' };
      requests.push(r);
      const reply = (status, body) => {
        res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8' });
        res.end(JSON.stringify({ RequestId: crypto.randomUUID(), ...body }));
      };
      const fail = (status, code, why) => { r.problem = why; reply(status, { Code: code, Message: why }); };
      if (req.method !== 'POST' || !/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || '')) {
        return fail(400, 'MissingParameter', `${req.method} ${req.headers['content-type']}`);
      }
      const form = new URLSearchParams(raw);
      for (const [k, v] of form) r.params[k] = v;
      const p = r.params;
      r.phone = p.PhoneNumbers || '';
      for (const k of REQUIRED) if (!p[k]) return fail(400, 'MissingParameter', 'missing ' + k);
      if (p.Action !== 'SendSms' || p.Version !== '2017-05-25' || p.SignatureMethod !== 'HMAC-SHA1' || p.SignatureVersion !== '1.0') {
        return fail(400, 'InvalidParameter', 'Action/Version/Signature method');
      }
      if (p.AccessKeyId !== keyId) return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
      const ts = Date.parse(p.Timestamp);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(p.Timestamp) || Math.abs(Date.now() - ts) > 15 * 60_000) {
        return fail(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
      }
      try { r.template = JSON.parse(p.TemplateParam); } catch { return fail(200, 'isv.INVALID_JSON_PARAM', 'TemplateParam'); }
      if (signAliyun(p, secret) !== p.Signature) return fail(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
      r.valid = true;
      const code = box.answer(r.phone);
      if (code) return reply(200, { Code: code, Message: 'test error ' + code });
      r.delivered = true;
      reply(200, { Code: 'OK', Message: 'OK', BizId: String(900619746936498000 + requests.length) });
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests,
    set answer(fn) { box.answer = fn; },
    close: () => new Promise((ok) => server.close(ok)),
  };
}
