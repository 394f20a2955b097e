#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# HostConfig's process options on the memory backend, each seen from
# inside the container: --read-only, --shm-size, --ulimit, --init,
# capabilities (defaults, --cap-add, --cap-drop, --privileged, a user's,
# exec --privileged), --device, --sysctl, --pid/--ipc/--uts host,
# --group-add, no-new-privileges, --oom-score-adj; and what dockerd
# refuses at create, or the memory backend cannot do, in their words.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(49);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $j);

sub create {
    my (%hc) = @_;
    return $t->api_json('POST', '/containers/create', {
        Image => 'busybox', Cmd => ['true'], HostConfig => \%hc });
}

# refused at create, with dockerd's status and words; no root needed

($st, $j) = create(CapAdd => ['foo']);
ok($st == 400 && $j->{message} eq 'invalid CapAdd: unknown capability: '
   . '"CAP_FOO"', 'an unknown capability: 400') or diag("$st " . explain $j);

($rc, $out, $err) = $t->docker('create', '--cap-drop', 'CAP_NOPE', 'busybox',
                               'true');
ok($rc != 0 && $err =~ /invalid CapDrop: unknown capability: "CAP_NOPE"/,
   'docker create --cap-drop of an unknown one: refused') or diag($err);

($st, $j) = create(Ulimits => [{ Name => 'foo', Soft => 1, Hard => 1 }]);
ok($st == 400 && $j->{message} eq 'invalid ulimit type: foo',
   'an unknown ulimit: 400') or diag("$st " . explain $j);

($st, $j) = create(Sysctls => { 'kernel.pid_max' => '100000' });
ok($st == 400 && $j->{message} eq 'sysctl "kernel.pid_max" is not in a '
   . 'separate kernel namespace', 'a sysctl of the whole host: 400')
    or diag("$st " . explain $j);

($rc, $out, $err) = $t->docker('create', '--network', 'host', '--sysctl',
                               'net.ipv4.ip_forward=1', 'busybox', 'true');
ok($rc != 0 && $err =~ /sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace/,
   'a net sysctl with --network host: refused') or diag($err);

($rc, $out, $err) = $t->docker('create', '--ipc', 'host', '--sysctl',
                               'kernel.shmmax=1000000', 'busybox', 'true');
ok($rc != 0 && $err =~ /sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace/,
   'an IPC sysctl with --ipc host: refused') or diag($err);

($st, $j) = create(IpcMode => 'sometimes');
ok($st == 400 && $j->{message} eq 'invalid IPC mode: sometimes',
   'an unknown IPC mode: 400') or diag("$st " . explain $j);

($st, $j) = $t->api_json('POST', '/containers/create', {
    Image => 'busybox', Cmd => ['true'], Hostname => 'named',
    HostConfig => { UTSMode => 'host' } });
ok($st == 400 && $j->{message} eq 'conflicting options: hostname and the '
   . 'UTS mode', 'a hostname with --uts host: 400')
    or diag("$st " . explain $j);

($st, $j) = create(ShmSize => -1);
ok($st == 400 && $j->{message} eq 'SHM size can not be less than 0',
   'a negative ShmSize: 400') or diag("$st " . explain $j);

($st, $j) = create(OomScoreAdj => 2000);
ok($st == 400 && $j->{message} =~ /range for oom score adj is \[-1000, 1000\]/,
   'an OOM score adjustment out of range: 400') or diag("$st " . explain $j);

($st, $j) = create(SecurityOpt => ['seccomp={"defaultAction":"SCMP_ACT_ERRNO"}']);
ok($st == 501 && $j->{message} =~ /is not supported by sockerless: its containers run without seccomp/,
   'a seccomp profile: 501, not ignored') or diag("$st " . explain $j);

SKIP: {
    skip 'the process options need root (namespaces, mounts)', 37
        unless $t->is_root;

    # --read-only: the root only; /dev/shm and a tmpfs stay writable

    ($rc, $out, $err) = $t->docker('run', '--rm', '--read-only', '--tmpfs',
        '/run', 'busybox', 'sh', '-c',
        'touch /x 2>&1; touch /dev/shm/y && touch /run/z && echo writable');
    ok($out =~ m{touch: /x: Read-only file system} && $out =~ /^writable$/m,
       '--read-only: / is read-only, /dev/shm and the tmpfs are not')
        or diag("$rc $out $err");

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'sh', '-c',
                             'touch /x && echo ok');
    is($out, "ok\n", 'without it the root is writable');

    # /dev/shm

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'df', '-k', '/dev/shm');
    like($out, qr{^shm\s+65536\s}m, '/dev/shm: 64M by default');

    ($rc, $out) = $t->docker('run', '--rm', '--shm-size', '128m', 'busybox',
                             'df', '-k', '/dev/shm');
    like($out, qr{^shm\s+131072\s}m, '--shm-size 128m');

    # --ulimit

    ($rc, $out) = $t->docker('run', '--rm', '--ulimit', 'nofile=100:200',
                             'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn');
    is($out, "100\n200\n", '--ulimit nofile=100:200');

    # --init

    ($rc, $out) = $t->docker('run', '--rm', '--init', 'busybox', 'ps', '-o',
                             'pid,args');
    like($out, qr{^\s*1 /sbin/docker-init -- ps -o pid,args$}m,
         '--init: docker-init is pid 1') or diag($out);
    like($out, qr{^\s*[2-9]\d* ps -o pid,args$}m,
         '--init: the command is its child') or diag($out);

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'sh', '-c', 'echo $$');
    is($out, "1\n", 'without it the command is pid 1');

    ($rc, $out, $err) = $t->docker('run', '--rm', '--init', 'busybox', 'sh',
                                   '-c', 'exit 7');
    is($rc, 7, '--init: the command\'s exit code') or diag($err);

    ($rc, $out, $err) = $t->docker('run', '-d', '--init', '--name', 'ini',
                                   'busybox', 'sleep', '1000');
    is($rc, 0, '--init: run -d') or diag($err);
    ($rc, $out) = $t->docker('exec', 'ini', 'ps', '-o', 'pid,args');
    ok($out =~ m{^\s*1 /sbin/docker-init -- sleep 1000$}m
       && $out =~ /^\s*\d+ ps -o pid,args$/m,
       '--init: exec works beside it') or diag($out);
    ($rc, $out, $err) = $t->docker('stop', '-t', '10', 'ini');
    $j = $t->inspect('ini');
    is($j->{State}{ExitCode}, 143,
       '--init: stop forwards SIGTERM, 143 as tini');
    $t->docker('rm', '-f', 'ini');

    # capabilities

    my $host_bnd = ($t->read_file('/proc/self/status') =~ /^CapBnd:\s+(\w+)/m)[0];

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'grep', 'Cap',
                             '/proc/self/status');
    ok($out =~ /^CapEff:\s+00000000a80425fb$/m
       && $out =~ /^CapBnd:\s+00000000a80425fb$/m
       && $out =~ /^CapInh:\s+0+$/m,
       'capabilities: dockerd\'s default set') or diag($out);

    ($rc, $out) = $t->docker('run', '--rm', '--cap-drop', 'ALL', '--cap-add',
                             'chown', 'busybox', 'grep', 'Cap',
                             '/proc/self/status');
    ok($out =~ /^CapEff:\s+0000000000000001$/m
       && $out =~ /^CapBnd:\s+0000000000000001$/m,
       '--cap-drop ALL --cap-add chown') or diag($out);

    ($rc, $out) = $t->docker('run', '--rm', '--cap-add', 'NET_ADMIN',
                             '--cap-drop', 'CAP_KILL', 'busybox', 'grep',
                             'CapEff', '/proc/self/status');
    like($out, qr/^CapEff:\s+00000000a80435db$/m,
         '--cap-add NET_ADMIN --cap-drop CAP_KILL');

    ($rc, $out) = $t->docker('run', '--rm', '--privileged', 'busybox', 'grep',
                             'CapEff', '/proc/self/status');
    like($out, qr/^CapEff:\s+$host_bnd$/m,
         '--privileged: every capability the host has');

    ($rc, $out) = $t->docker('run', '--rm', '--user', '1000', 'busybox',
                             'grep', 'Cap', '/proc/self/status');
    ok($out =~ /^CapEff:\s+0+$/m && $out =~ /^CapPrm:\s+0+$/m
       && $out =~ /^CapBnd:\s+00000000a80425fb$/m,
       'another user: no capabilities but the bounding set') or diag($out);

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'sh', '-c',
                             'mkdir /m; mount -t tmpfs t /m 2>&1; echo $?');
    like($out, qr/operation not permitted|permission denied/i,
         'without CAP_SYS_ADMIN mount fails') or diag($out);

    $t->docker('run', '-d', '--name', 'capx', '--cap-drop', 'NET_RAW',
               'busybox', 'sleep', '1000');
    ($rc, $out) = $t->docker('exec', 'capx', 'grep', 'CapEff',
                             '/proc/self/status');
    like($out, qr/^CapEff:\s+00000000a80405fb$/m,
         'exec: the container\'s capabilities');
    ($rc, $out) = $t->docker('exec', '--privileged', 'capx', 'grep', 'CapEff',
                             '/proc/self/status');
    like($out, qr/^CapEff:\s+$host_bnd$/m, 'exec --privileged: all of them');
    $t->docker('rm', '-f', 'capx');

    # --device

    ($rc, $out, $err) = $t->docker('run', '--rm', '--device',
        '/dev/null:/dev/foo', 'busybox', 'sh', '-c',
        'ls -l /dev/foo && echo data > /dev/foo && echo written');
    ok($out =~ m{^c\S+\s+1 root\s+root\s+1,\s+3 .* /dev/foo$}m
       && $out =~ /^written$/m, '--device /dev/null:/dev/foo')
        or diag("$out $err");

    ($rc, $out, $err) = $t->docker('run', '--rm', '--device',
                                   '/dev/sockerless-nope', 'busybox', 'true');
    ok($rc != 0 && $err =~ m{error gathering device information while adding custom device "/dev/sockerless-nope": no such file or directory},
       'a missing device: dockerd\'s error') or diag($err);

    # --sysctl, in the container's namespaces only

    my $host_shmmax = $t->read_file('/proc/sys/kernel/shmmax');
    ($rc, $out, $err) = $t->docker('run', '--rm', '--sysctl',
        'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=123456',
        'busybox', 'cat', '/proc/sys/net/ipv4/ip_forward',
        '/proc/sys/kernel/shmmax');
    is($out, "1\n123456\n", '--sysctl net.ipv4.ip_forward, kernel.shmmax')
        or diag($err);
    is($t->read_file('/proc/sys/kernel/shmmax'), $host_shmmax,
       'the host\'s kernel.shmmax is untouched');

    # --pid, --ipc, --uts

    ($rc, $out) = $t->docker('run', '--rm', '--pid', 'host', 'busybox', 'sh',
                             '-c', 'echo $$; ls /proc/1/exe >/dev/null 2>&1;'
                             . ' cat /proc/1/comm');
    my ($pid) = $out =~ /^(\d+)$/m;
    ok($pid && $pid > 1 && $out !~ /^sh$/m,
       '--pid host: the command is not pid 1, pid 1 is the host\'s')
        or diag($out);

    my $shm = "sls-rt-$$";
    $t->write_file("/dev/shm/$shm", "x");
    ($rc, $out) = $t->docker('run', '--rm', '--ipc', 'host', 'busybox', 'ls',
                             "/dev/shm/$shm");
    is($out, "/dev/shm/$shm\n", '--ipc host: the host\'s /dev/shm');
    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'sh', '-c',
                             "ls /dev/shm/$shm 2>/dev/null; "
                             . 'readlink /proc/self/ns/ipc');
    my $host_ipc = readlink('/proc/self/ns/ipc');
    ok($out =~ /^ipc:/m && $out !~ /\Q$shm\E/ && $out ne "$host_ipc\n",
       'without it: an IPC namespace and a /dev/shm of its own')
        or diag("$out / $host_ipc");
    unlink "/dev/shm/$shm";

    ($rc, $out) = $t->docker('run', '--rm', '--ipc', 'none', 'busybox', 'sh',
                             '-c', 'grep -c " /dev/shm " /proc/mounts');
    is($out, "0\n", '--ipc none: no /dev/shm');

    my $host_name = $t->read_file('/proc/sys/kernel/hostname');
    ($rc, $out) = $t->docker('run', '--rm', '--uts', 'host', 'busybox',
                             'hostname');
    is($out, $host_name, '--uts host: the host\'s name');

    # --group-add, no-new-privileges, --oom-score-adj

    ($rc, $out, $err) = $t->docker('run', '--rm', '--group-add', 'nogroup',
                                   '--group-add', '10', 'busybox', 'id', '-G');
    is($out, "0 10 65534\n", '--group-add nogroup --group-add 10')
        or diag($err);

    ($rc, $out, $err) = $t->docker('run', '--rm', '--group-add', 'nosuch',
                                   'busybox', 'true');
    ok($rc != 0 && $err =~ /unable to find group nosuch/,
       '--group-add of a missing group: refused at start') or diag($err);

    ($rc, $out) = $t->docker('run', '--rm', '--security-opt',
                             'no-new-privileges', 'busybox', 'grep',
                             'NoNewPrivs', '/proc/self/status');
    like($out, qr/^NoNewPrivs:\s+1$/m, '--security-opt no-new-privileges');

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'grep', 'NoNewPrivs',
                             '/proc/self/status');
    like($out, qr/^NoNewPrivs:\s+0$/m, 'without it: 0');

    ($rc, $out) = $t->docker('run', '--rm', '--oom-score-adj', '500',
                             'busybox', 'cat', '/proc/self/oom_score_adj');
    is($out, "500\n", '--oom-score-adj 500');

    # what the memory backend does not do

    ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'other', 'busybox',
                                   'sleep', '1000');
    ($rc, $out, $err) = $t->docker('run', '--rm', '--ipc', 'container:other',
                                   'busybox', 'true');
    ok($rc != 0 && $err =~ /--ipc container:other is not supported by the memory backend/,
       '--ipc container:<id>: a clear 501') or diag($err);
    ($st, $j) = create(PidMode => 'container:other');
    ($st, $j) = $t->api_json('POST', "/containers/$j->{Id}/start")
        if $st == 201;
    ok($st == 501 && $j->{message} =~ /--pid container:other is not supported/,
       '--pid container:<id>: 501 at start') or diag("$st " . explain $j);
    $t->docker('rm', '-f', 'other');

    # the Docker SDK

    ($rc, $out, $err) = $t->python(<<'PY');
import docker
c = docker.from_env()
out = c.containers.run("busybox", ["sh", "-c", "ulimit -n; grep CapEff /proc/self/status"],
                       ulimits=[docker.types.Ulimit(name="nofile", soft=64, hard=64)],
                       cap_drop=["ALL"], cap_add=["KILL"], read_only=True,
                       remove=True)
print(out.decode(), end="")
PY
    is($out, "64\nCapEff:\t0000000000000020\n",
       'the SDK: ulimits, cap_drop, cap_add, read_only') or diag($err);
}

$t->done;
