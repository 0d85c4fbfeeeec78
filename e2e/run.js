#!/usr/bin/env node
// npm test: builds the real ecoreport binary, starts it on 127.0.0.1 with a
// fresh data dir and SQLite database (captcha on), creates the staff accounts,
// runs the browser tests (node --test) and stops the server. When
// ECOREPORT_TEST_MYSQL_DSN is set (root@tcp(127.0.0.1:3306)/), it runs the
// suite once more against a fresh MariaDB database, dropped afterwards.
// Screenshots of the SQLite run go to docs/screenshots/. Exits non-zero on
// any failure, including an ERROR line in the server's log.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, start, addUsers, cli } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
// E2E_SRC builds the binary from another checkout of the module (default: this one).
const src = process.env.E2E_SRC ? path.resolve(process.env.E2E_SRC) : repo;
const keep = process.env.E2E_KEEP === '1';
// E2E_ONLY runs only the test files whose names match it (a RegExp), e.g. E2E_ONLY=notify.
const only = new RegExp(process.env.E2E_ONLY || '');

async function main() {
  const t0 = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecoreport-e2e-'));
  let failed = false;
  try {
    const bins = await build(src, path.join(tmp, 'bin'));
    const targets = [{ label: 'sqlite' }];
    const dsn = process.env.ECOREPORT_TEST_MYSQL_DSN;
    if (dsn) targets.push({ label: 'mariadb', dsn });
    else console.log('# ECOREPORT_TEST_MYSQL_DSN not set: SQLite only');
    // The suites run side by side (each with its own server, database and
    // browser) unless E2E_SERIAL=1; each one's output is printed as a block.
    const serial = process.env.E2E_SERIAL === '1' || targets.length === 1;
    const runOne = (t) => suite(t, bins, tmp, t.label === 'sqlite' ? path.join(repo, 'docs', 'screenshots') : null, !serial);
    const results = serial ? [] : await Promise.all(targets.map(runOne));
    if (serial) for (const t of targets) results.push(await runOne(t));
    failed ||= results.some((ok) => !ok);
  } catch (err) {
    console.error(`# e2e setup failed: ${err.stack || err}`);
    failed = true;
  } finally {
    if (keep || failed) console.log(`# logs and artifacts kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`# e2e ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exitCode = failed ? 1 : 0;
}

// suite runs the tests once against a fresh database of one engine.
async function suite({ label, dsn }, bins, tmp, shots, buffered) {
  const lines = [];
  const say = buffered ? (m) => lines.push(m) : (m) => console.log(m);
  try {
    return await suiteRun({ label, dsn }, bins, tmp, shots, buffered, say, lines);
  } catch (err) {
    say(`# ${label}: setup failed: ${err.stack || err}`);
    return false;
  } finally {
    if (buffered) console.log(`\n# ===== ${label} =====\n${lines.join('\n')}`);
  }
}

async function suiteRun({ label, dsn }, bins, tmp, shots, buffered, say, lines) {
  const dir = path.join(tmp, label);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  let db;
  let dbName;
  if (dsn) {
    dbName = `ecoreport_e2e_${process.pid}_${Date.now().toString(36)}`;
    db = 'mysql:' + (await cli(bins.mysqldb, ['create', dsn, dbName])).trim();
    await cli(bins.ecoreport, ['migrate', 'up', '--db', db]);
  } else {
    db = 'sqlite:' + path.join(dir, 'e2e.db');
  }
  say(`# ${label}: starting ecoreport (${label === 'sqlite' ? db : 'mysql database ' + dbName})`);
  let server;
  let ok = false;
  try {
    server = await start({ bin: bins.ecoreport, db, dataDir, logFile: path.join(dir, 'server.log') });
    await addUsers(bins.ecoreport, db);
    say(`# ${label}: serving on ${server.base} (pid ${server.pid})`);
    const code = await nodeTest(buffered ? lines : null, {
      E2E_BASE_URL: server.base,
      E2E_DB: db,
      E2E_LABEL: label,
      E2E_CAPTCHA_TOOL: bins.captcha,
      E2E_ADMIN_PASSWORD: server.adminPassword,
      E2E_SHOTS: shots || path.join(dir, 'screenshots'),
      E2E_ARTIFACTS: path.join(dir, 'artifacts'),
    });
    ok = code === 0;
  } finally {
    if (server) {
      const errors = await server.stop();
      if (errors.length) {
        say(`# ${label}: the server logged errors:\n${errors.join('\n')}`);
        ok = false;
      }
    }
    if (dsn) await cli(bins.mysqldb, ['drop', dsn, dbName]).catch((e) => say(`# ${e.message}`));
  }
  say(`# ${label}: ${ok ? 'ok' : 'FAILED'}`);
  return ok;
}

// nodeTest runs the test files with node's test runner, one file at a time;
// with sink, its output is collected there instead of printed.
function nodeTest(sink, extraEnv) {
  return new Promise((resolve) => {
    const files = fs.readdirSync(path.join(here, 'tests')).filter((f) => f.endsWith('.test.js') && only.test(f)).map((f) => path.join('tests', f));
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
      cwd: here, stdio: sink ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: { ...process.env, ...extraEnv },
    });
    if (sink) {
      let buf = '';
      const take = (b) => { buf += b; };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('close', () => sink.push(buf.replace(/\n$/, '')));
    }
    child.on('close', (code, sig) => resolve(sig ? 1 : code));
  });
}

main();
