// Builds and runs the real ecoreport binary for the browser tests.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const run = promisify(execFile);

// Staff accounts the tests create next to the bootstrap admin.
export const USERS = {
  operator: { name: 'e2e_operator', role: 'operator', password: 'E2e-Operator-2026!' },
  inspector: { name: 'e2e_inspector', role: 'inspector', password: 'E2e-Inspector-2026!' },
  unit: { name: 'e2e_unit', role: 'unit', unit: '城关镇', password: 'E2e-Unit-2026!' },
  rewardOfficer: { name: 'e2e_reward_officer', role: 'reward_officer', password: 'E2e-Officer-2026!' },
  rewardApprover: { name: 'e2e_reward_approver', role: 'reward_approver', password: 'E2e-Approver-2026!' },
  finance: { name: 'e2e_finance', role: 'finance', password: 'E2e-Finance-2026!' },
};

// build compiles the binary and the two test tools into dir (one go build,
// so the cache is shared). Returns their paths.
export async function build(repo, dir) {
  const t0 = Date.now();
  await run('go', ['build', '-o', dir + path.sep, './cmd/ecoreport', './e2e/tools/captcha', './e2e/tools/mysqldb'], {
    cwd: repo, maxBuffer: 16 << 20,
  }).catch((err) => {
    throw new Error(`go build failed:\n${err.stderr || err.message}`);
  });
  console.log(`# built ecoreport and tools in ${Date.now() - t0} ms`);
  return {
    ecoreport: path.join(dir, 'ecoreport'),
    captcha: path.join(dir, 'captcha'),
    mysqldb: path.join(dir, 'mysqldb'),
  };
}

// cli runs one ecoreport subcommand and returns its stdout; it throws with
// stderr on a non-zero exit.
export async function cli(bin, args) {
  try {
    const { stdout } = await run(bin, args, { maxBuffer: 4 << 20 });
    return stdout;
  } catch (err) {
    throw new Error(`ecoreport ${args.join(' ')} failed:\n${err.stdout || ''}${err.stderr || err.message}`);
  }
}

// start runs `ecoreport serve` on 127.0.0.1 with a kernel-chosen port and
// resolves once /healthz answers. It returns the base URL, the admin password
// printed on first start and a stop function. The server's stderr is kept in
// logFile; errors it logs are returned by stop() so the run can fail on them.
export async function start({ bin, db, dataDir, logFile }) {
  const args = ['serve', '--addr', '127.0.0.1:0', '--db', db, '--data-dir', dataDir, '--captcha', 'on',
    '--metrics-addr', '127.0.0.1:0']; // the default loopback port may be another run's
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ECOREPORT_LOG_JSON: 'false' } });
  const log = fs.createWriteStream(logFile);
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => { out += b; log.write(b); });
  child.stderr.on('data', (b) => { err += b; log.write(b); });
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, sig) => { exited = { code, sig }; resolve(exited); }));

  const deadline = Date.now() + 60_000;
  let base = '';
  while (!base) {
    if (exited) throw new Error(`ecoreport serve exited (${JSON.stringify(exited)}):\n${out}${err}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`ecoreport serve did not start in 60 s:\n${out}${err}`); }
    const m = /url=(http:\/\/127\.0\.0\.1:\d+)/.exec(err + out);
    if (m) base = m[1];
    else await sleep(100);
  }
  while (true) {
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('ecoreport /healthz did not answer in 60 s'); }
    try {
      const r = await fetch(base + '/healthz');
      if (r.ok) break;
    } catch { /* not yet */ }
    await sleep(100);
  }
  const pw = /已创建管理员账号 admin，密码 (\S+)/.exec(out);
  if (!pw) throw new Error(`first start printed no admin password on stdout:\n${out}`);

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(t);
    }
    log.end();
    // Lines the server logged at ERROR level: a template error or a 500.
    return err.split('\n').filter((l) => /level=ERROR/.test(l));
  };
  return { base, adminPassword: pw[1], stop, pid: child.pid };
}

// addUsers creates the test's staff accounts with `ecoreport user add`, one
// after the other (they write to the same database as the running server).
export async function addUsers(bin, db) {
  for (const u of Object.values(USERS)) {
    const args = ['user', 'add', '--name', u.name, '--role', u.role, '--password', u.password, '--db', db];
    if (u.unit) args.push('--unit', u.unit);
    await cli(bin, args);
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
