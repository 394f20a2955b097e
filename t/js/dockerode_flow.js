// Copyright (C) sockerless contributors
//
// dockerode against sockerless (DOCKER_HOST from the environment): a pull
// from the registry given with its progress events, then a container's
// round trip (create, attach, start, wait, logs, inspect, remove). TAP.

'use strict';

const Docker = require('dockerode');

const image = process.argv[2];
const docker = new Docker();

let n = 0;
let failed = 0;

function ok(cond, name, extra) {
    n++;
    if (!cond) {
        failed++;
    }
    console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
    if (!cond && extra !== undefined) {
        console.log(`# ${JSON.stringify(extra)}`);
    }
}

async function main() {
    const stream = await docker.pull(image);

    const events = await new Promise((resolve, reject) => {
        const seen = [];
        docker.modem.followProgress(stream,
            (err, out) => err ? reject(err) : resolve(seen),
            (ev) => seen.push(ev));
    });

    ok(events.some((e) => e.status === 'Downloading' && e.progressDetail
                          && e.progressDetail.total > 0),
       'pull: Downloading with progressDetail', events.slice(0, 5));
    ok(events.some((e) => e.status === 'Pull complete'),
       'pull: Pull complete');
    ok(events.some((e) => /^Status: /.test(e.status || '')),
       'pull: the final Status line');

    const c = await docker.createContainer({
        Image: image,
        Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 4'],
    });

    const attach = await c.attach({ stream: true, stdout: true,
                                    stderr: true });
    let out = '';
    let err = '';
    const { PassThrough } = require('stream');
    const o = new PassThrough();
    const e = new PassThrough();
    o.on('data', (d) => { out += d; });
    e.on('data', (d) => { err += d; });
    c.modem.demuxStream(attach, o, e);
    const ended = new Promise((r) => attach.on('end', r));

    await c.start();
    const res = await c.wait();
    await ended;

    ok(res.StatusCode === 4, 'wait: exit code 4', res);
    ok(out === 'out\n' && err === 'err\n', 'attach: stdout and stderr apart',
       { out, err });

    const info = await c.inspect();
    ok(info.State.Status === 'exited' && info.State.ExitCode === 4,
       'inspect: exited 4', info.State);

    const logs = await c.logs({ stdout: true, stderr: true });
    ok(logs.length > 0 && logs.toString().includes('out'),
       'logs: the output, multiplexed');

    await c.remove();

    let gone = false;
    try {
        await c.inspect();
    } catch (x) {
        gone = x.statusCode === 404;
    }
    ok(gone, 'remove: inspect is a 404');

    console.log(`1..${n}`);
    process.exit(failed ? 1 : 0);
}

main().catch((x) => {
    console.log(`not ok ${n + 1} - ${x && x.message}`);
    console.log(`1..${n + 1}`);
    process.exit(1);
});
