#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Resource limits: -m, --memory-reservation, --memory-swap, --cpus,
# --cpu-shares, --cpu-quota/--cpu-period, --cpuset-cpus, --pids-limit and
# --blkio-weight written to each container's cgroups (read back from the
# cgroup its processes are in), enforced (pids, an OOM kill with
# OOMKilled and the "oom" event), shown by docker stats, changed live by
# docker update (and the SDK's), with dockerd's errors; where there are
# no cgroups, dockerd's warnings and the limits discarded.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(60);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my $ncpu = `nproc`;
chomp $ncpu;

# the host path of a controller's file for the cgroup pid is in, v1 or v2

sub cg_file {
    my ($pid, $ctl, @files) = @_;

    open my $fh, '<', "/proc/$pid/cgroup" or return undef;
    my ($v1, $v2);
    while (<$fh>) {
        chomp;
        my ($n, $ctls, $path) = split /:/, $_, 3;
        $v1 = $path if grep { $_ eq $ctl } split /,/, $ctls;
        $v2 = $path if $n eq '0' && $ctls eq '';
    }
    close $fh;

    open $fh, '<', '/proc/self/mountinfo' or return undef;
    my ($m1, $m2);
    while (<$fh>) {
        chomp;
        my ($pre, $post) = split / - /, $_, 2;
        my @f = split / /, $pre;
        my ($fs, undef, $opts) = split / /, $post;
        $m1 = $f[4] if $fs eq 'cgroup' && grep { $_ eq $ctl } split /,/,
            $opts;
        $m2 = $f[4] if $fs eq 'cgroup2';
    }
    close $fh;

    for my $dir (grep { defined } ($m1 && defined $v1 ? "$m1$v1" : undef),
                 ($m2 && defined $v2 ? "$m2$v2" : undef))
    {
        for my $f (@files) {
            return "$dir/$f" if -e "$dir/$f";
        }
    }

    return undef;
}

sub cg_read {
    my ($pid, $ctl, @files) = @_;

    my $f = cg_file($pid, $ctl, @files) or return '';
    open my $fh, '<', $f or return '';
    local $/;
    my $v = <$fh>;
    close $fh;
    $v =~ s/\s+\z//;
    return $v;
}

my $have = $t->is_root && (-e '/sys/fs/cgroup/memory/memory.limit_in_bytes'
                           || -e '/sys/fs/cgroup/cgroup.controllers');

SKIP: {
skip 'cgroups need root and a mounted memory controller', 36 unless $have;

my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'lim', '-m', '64m',
                                  '--memory-reservation', '32m',
                                  '--cpus', '0.5', '--cpu-shares', '512',
                                  '--pids-limit', '20', '--cpuset-cpus', '0',
                                  '--blkio-weight', '300', 'busybox',
                                  'sleep', '300');
is($rc, 0, 'run with every limit') or diag($err);

my $c = $t->inspect('lim');
my $id = $c->{Id};
my $pid = $c->{State}{Pid};

($rc, $out) = $t->docker('exec', 'lim', 'cat', '/proc/self/cgroup');
like($out, qr{memory:/(?:\S+/)?sockerless/$id\n}m,
     'inside: its memory cgroup is <parent>/<id>') or diag($out);

is(cg_read($pid, 'memory', 'memory.limit_in_bytes', 'memory.max'),
   64 * 1024 * 1024, 'the memory limit');
is(cg_read($pid, 'memory', 'memory.soft_limit_in_bytes', 'memory.low'),
   32 * 1024 * 1024, 'the reservation');

my $quota = cg_read($pid, 'cpu', 'cpu.cfs_quota_us');
my $period = cg_read($pid, 'cpu', 'cpu.cfs_period_us');
ok(($quota eq '50000' && $period eq '100000')
   || cg_read($pid, 'cpu', 'cpu.max') eq '50000 100000',
   '--cpus 0.5: half of each period') or diag("$quota $period");

ok(cg_read($pid, 'cpu', 'cpu.shares') eq '512'
   || cg_read($pid, 'cpu', 'cpu.weight') eq '20', 'the CPU shares');
is(cg_read($pid, 'pids', 'pids.max'), 20, 'the pids limit');
is(cg_read($pid, 'cpuset', 'cpuset.cpus'), '0', 'the CPU set');
is(cg_read($pid, 'blkio', 'blkio.weight', 'blkio.bfq.weight', 'io.weight',
           'io.bfq.weight') =~ /^(?:default )?(\d+)/ ? $1 : '',
   cg_file($pid, 'blkio', 'io.weight') ? 2930 : 300, 'the blkio weight');

# an exec joins the container's cgroups

my ($rc2, $mine) = $t->docker('exec', 'lim', 'cat', '/proc/self/cgroup');
is($mine, $out, 'an exec is in the same cgroups');

my $hc = $c->{HostConfig};
ok($hc->{Memory} == 64 * 1024 * 1024 && $hc->{NanoCpus} == 5e8
   && $hc->{PidsLimit} == 20 && $hc->{CpuShares} == 512
   && $hc->{CpusetCpus} eq '0' && $hc->{BlkioWeight} == 300
   && $hc->{MemoryReservation} == 32 * 1024 * 1024,
   'HostConfig records them') or diag(explain($hc));

my $swap = cg_file($pid, 'memory', 'memory.memsw.limit_in_bytes',
                   'memory.swap.max');
is($hc->{MemorySwap}, $swap ? 128 * 1024 * 1024 : -1,
   'MemorySwap: twice Memory, or -1 without swap accounting');

($rc, $out, $err) = $t->docker('stats', '--no-stream', '--format',
                               '{{.MemUsage}}|{{.PIDs}}', 'lim');
like($out, qr{^\S+ / 64MiB\|[1-9]\d*$}, 'docker stats: the cgroup\'s limit '
     . 'and pids') or diag("$out $err");

# the pids limit holds

($rc, $out, $err) = $t->docker('run', '--rm', '--pids-limit', '4',
                               'busybox', 'sh', '-c',
                               'for i in 1 2 3 4 5 6; do sleep 1 & done; '
                               . 'wait');
like($err . $out, qr/can't fork|Resource temporarily unavailable/,
     '--pids-limit 4: the sixth sleep cannot fork') or diag("$out $err");

# docker update, live

($rc, $out, $err) = $t->docker('update', '-m', '96m', '--memory-swap',
                               '192m', '--pids-limit', '30', '--cpus', '1',
                               '--cpu-shares', '256', 'lim');
ok($rc == 0 && $out eq "lim\n", 'docker update') or diag("$out $err");

is(cg_read($pid, 'memory', 'memory.limit_in_bytes', 'memory.max'),
   96 * 1024 * 1024, 'update: the memory limit, live');
is(cg_read($pid, 'pids', 'pids.max'), 30, 'update: the pids limit, live');
$quota = cg_read($pid, 'cpu', 'cpu.cfs_quota_us');
ok($quota eq '100000' || cg_read($pid, 'cpu', 'cpu.max') eq '100000 100000',
   'update: --cpus 1') or diag($quota);

$hc = $t->inspect('lim')->{HostConfig};
ok($hc->{Memory} == 96 * 1024 * 1024 && $hc->{PidsLimit} == 30
   && $hc->{NanoCpus} == 1e9 && $hc->{CpuShares} == 256
   && $hc->{CpusetCpus} eq '0',
   'update: recorded, the rest kept') or diag(explain($hc));

($rc, $out) = $t->docker('stats', '--no-stream', '--format',
                         '{{.MemUsage}}', 'lim');
like($out, qr{ / 96MiB$}, 'update: docker stats shows the new limit');

($rc, $out) = $t->docker('events', '--since', time - 60, '--until',
                         time + 1, '--filter', 'event=update', '--format',
                         '{{.Actor.Attributes.name}}');
like($out, qr/^lim$/m, 'update: the "update" event');

# the Docker SDK for Python

($rc, $out, $err) = $t->python(<<'EOF');
import docker
c = docker.from_env().containers.get("lim")
r = c.update(mem_limit="80m", memswap_limit="160m",
             restart_policy={"Name": "on-failure", "MaximumRetryCount": 3})
c.reload()
hc = c.attrs["HostConfig"]
print(r.get("Warnings"), hc["Memory"], hc["RestartPolicy"]["Name"],
      hc["RestartPolicy"]["MaximumRetryCount"])
EOF
is($out, "None 83886080 on-failure 3\n", 'SDK update: limits and restart '
   . 'policy') or diag($err);
is(cg_read($pid, 'memory', 'memory.limit_in_bytes', 'memory.max'),
   80 * 1024 * 1024, 'SDK update: live');

# update's errors

($rc, $out, $err) = $t->docker('update', '-m', '4m', 'lim');
like($err, qr/Minimum memory limit allowed is 6MB/, 'update: 4m')
    or diag($err);

($rc, $out, $err) = $t->docker('update', '--cpu-period', '50000', 'lim');
my $re = "Cannot update container $id: Conflicting options: CPU Period "
         . 'cannot be updated as NanoCPUs has already been set';
like($err, qr/\Q$re\E/, 'update: a period after --cpus') or diag($err);

my ($st, $j) = $t->api_json('POST', '/containers/lim/update',
                            { RestartPolicy => { Name => 'sometimes' } });
ok($st == 400 && $j->{message} =~ /^invalid restart policy: unknown policy/
   && $j->{message} =~ /'sometimes'; use one of 'no', 'always'/,
   'update: an unknown restart policy') or diag(explain($j));

($st, $j) = $t->api_json('POST', '/containers/nosuch/update', {});
ok($st == 404 && $j->{message} eq 'No such container: nosuch',
   'update: no such container');

($rc) = $t->docker('create', '--name', 'free', 'busybox', 'true');
($rc, $out, $err) = $t->docker('update', '-m', '100m', 'free');
$re = 'Memory limit should be smaller than already set memoryswap limit, '
      . 'update the memoryswap at the same time';
like($err, qr/\Q$re\E/, 'update: memory alone where no swap limit is set')
    or diag($err);

($rc) = $t->docker('create', '--rm', '--name', 'auto', 'busybox', 'true');
($rc, $out, $err) = $t->docker('update', '--restart', 'always', 'auto');
$re = 'Restart policy cannot be updated because AutoRemove is enabled for '
      . 'the container';
like($err, qr/\Q$re\E/, 'update: AutoRemove') or diag($err);

# an OOM kill

($rc, $out, $err) = $t->docker('run', '--name', 'oom', '-m', '8m',
                               '--memory-swap', '8m', 'busybox', 'sh', '-c',
                               'x=a; while true; do x=$x$x; done');
is($rc, 137, 'over the memory limit: killed, 137') or diag($err);
$c = $t->inspect('oom');
ok($c->{State}{OOMKilled}, 'State.OOMKilled') or diag(explain($c->{State}));

($rc, $out) = $t->docker('events', '--since', time - 60, '--until',
                         time + 1, '--filter', 'container=oom', '--format',
                         '{{.Action}}');
like($out, qr/^oom\ndie$/m, 'the "oom" event, then "die"') or diag($out);

# restarts make the same cgroups again as the last run removes its own

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'again', '-m', '32m',
                               '--restart', 'on-failure:3', 'busybox', 'sh',
                               '-c', 'grep -q sockerless /proc/self/cgroup '
                               . '&& exit 1');
my $done = $t->wait_for(30, sub {
    my $s = $t->inspect('again');
    return $s && $s->{RestartCount} == 3 && !$s->{State}{Running}
           && !$s->{State}{Restarting} ? $s : undef;
});
ok($done && $done->{State}{ExitCode} == 1 && $done->{State}{Error} eq '',
   'restarted three times, each run in its cgroups')
    or diag(explain($done ? $done->{State} : $t->inspect('again')));
$t->docker('rm', '-f', 'again');

sub cg_left {
    my ($cid) = @_;
    return `find /sys/fs/cgroup -maxdepth 6 -type d -name $cid 2>/dev/null`;
}

my $oid = $c->{Id};
ok($t->wait_for(10, sub { !cg_left($oid) }),
   'its cgroups are gone after the exit') or diag(cg_left($oid));

ok(cg_left($id), 'a running container has its cgroups');
$t->docker('rm', '-f', 'lim');
ok($t->wait_for(10, sub { !cg_left($id) }), 'removed: no cgroup left')
    or diag(cg_left($id));
}

# dockerd's 400s at create

my ($rc, $out, $err) = $t->docker('create', '-m', '4m', 'busybox');
like($err, qr/Minimum memory limit allowed is 6MB/, 'create: 4m') or diag($err);

($rc, $out, $err) = $t->docker('create', '--cpus', $ncpu + 1, 'busybox');
my $re = "Range of CPUs is from 0.01 to $ncpu.00, as there are only $ncpu "
         . 'CPUs available';
like($err, qr/\Q$re\E/, 'create: too many CPUs') or diag($err);

($rc, $out, $err) = $t->docker('create', '-m', '20m', '--memory-swap', '10m',
                               'busybox');
like($err, qr/Minimum memoryswap limit should be larger than memory limit/,
     'create: swap under memory') or diag($err);

my ($st, $j) = $t->api_json('POST', '/containers/create',
                            { Image => 'busybox', HostConfig =>
                              { NanoCpus => 5e8, CpuPeriod => 100000 } });
ok($st == 400 && $j->{message} eq 'Conflicting options: Nano CPUs and CPU '
   . 'Period cannot both be set', 'create: NanoCpus and CpuPeriod')
    or diag(explain($j));

($rc, $out, $err) = $t->docker('create', '--blkio-weight', '5', 'busybox');
like($err, qr/Range of blkio weight is from 10 to 1000/,
     'create: blkio weight 5') or diag($err);

($rc, $out, $err) = $t->docker('create', '--cpu-period', '500', 'busybox');
like($err, qr/CPU cfs period can not be less than 1ms/, 'create: period')
    or diag($err);

SKIP: {
skip 'cpuset needs root and cgroups', 1 unless $have;
($rc, $out, $err) = $t->docker('create', '--cpuset-cpus', '64', 'busybox');
like($err, qr/Requested CPUs are not available - requested 64, available: /,
     'create: a CPU the host has not') or diag($err);
}

# --add-host and --dns: /etc/hosts and /etc/resolv.conf as dockerd writes

($rc, $out, $err) = $t->docker('run', '--rm', '--add-host', 'foo:10.1.2.3',
                               '--add-host', 'gw:host-gateway',
                               '--add-host', 'six=[::1]', 'busybox',
                               'cat', '/etc/hosts');
$re = "::1\tlocalhost ip6-localhost ip6-loopback\n10.1.2.3\tfoo\n"
      . "172.17.0.1\tgw\n::1\tsix\n";
like($out, qr/^\Q$re\E172\.17\.\d+\.\d+\t\w{12}\n/m,
     '--add-host: after the defaults, before its own name; host-gateway')
    or diag("$out $err");

($st, $j) = $t->api_json('POST', '/containers/create',
                         { Image => 'busybox', HostConfig =>
                           { ExtraHosts => ['foo:bar'] } });
ok($st == 400 && $j->{message} eq 'invalid IP address in add-host: "bar"',
   'ExtraHosts: not an address') or diag(explain($j));

($st, $j) = $t->api_json('POST', '/containers/create',
                         { Image => 'busybox', HostConfig =>
                           { ExtraHosts => ['nohost'] } });
ok($st == 400 && $j->{message} eq 'bad format for add-host: "nohost"',
   'ExtraHosts: no address') or diag(explain($j));

($rc, $out, $err) = $t->docker('run', '--rm', '--dns', '9.9.9.9', '--dns',
                               '1.1.1.1', '--dns-search', 'a.example',
                               '--dns-search', 'b.example', '--dns-option',
                               'ndots:3', 'busybox', 'cat',
                               '/etc/resolv.conf');
is($out, "nameserver 9.9.9.9\nnameserver 1.1.1.1\nsearch a.example "
   . "b.example\noptions ndots:3\n", '--dns, --dns-search, --dns-option')
    or diag($err);

open my $rfh, '<', '/etc/resolv.conf';
my @servers = map { /^\s*nameserver\s+(\S+)/ ? $1 : () } <$rfh>;
close $rfh;
my @remote = grep { !/^127\.|^::1$/ } @servers;
@remote = ('8.8.8.8', '8.8.4.4') unless @remote;

($rc, $out, $err) = $t->docker('run', '--rm', 'busybox', 'cat',
                               '/etc/resolv.conf');
is(join(' ', map { /^nameserver (\S+)/ ? $1 : () } split /\n/, $out),
   join(' ', @remote), 'no --dns: the host\'s servers but local ones '
   . '(8.8.8.8, 8.8.4.4 when none is left)') or diag("$out $err");

($rc, $out, $err) = $t->docker('run', '--rm', '--dns-search', 'c.example',
                               'busybox', 'cat', '/etc/resolv.conf');
like($out, qr/^search c\.example$/m, '--dns-search alone: the host\'s '
     . 'servers kept') or diag($err);
ok((grep { $out =~ /^nameserver \Q$_\E$/m } @remote) == @remote,
   '--dns-search alone: with the servers') or diag($out);

# without cgroups (as not root, or "off"): dockerd's warnings

my $t2 = Sockerless::Test->new->write_conf(
    'sockerless_memory_cgroup_parent off;');
$t2->run;
ok($t2->load_busybox, 'cgroups off: busybox loaded');

($rc, $out, $err) = $t2->docker('run', '--rm', '-m', '64m', '--pids-limit',
                                '10', '--cpu-shares', '100', 'busybox',
                                'echo', 'ran');
ok($rc == 0 && $out eq "ran\n", 'cgroups off: the container runs')
    or diag($err);
$re = 'WARNING: Your kernel does not support memory limit capabilities or '
      . 'the cgroup is not mounted. Limitation discarded.';
like($err, qr/\Q$re\E/, 'cgroups off: the memory warning') or diag($err);
like($err, qr/PIDs limit discarded/, 'cgroups off: the pids warning');

($st, $j) = $t2->api_json('POST', '/containers/create?name=warned',
                          { Image => 'busybox', HostConfig =>
                            { Memory => 64 << 20, CpuShares => 100,
                              BlkioWeight => 300 } });
ok($st == 201 && @{ $j->{Warnings} } == 3
   && $j->{Warnings}[1] =~ /CPU shares .* Shares discarded/,
   'cgroups off: create answers the warnings') or diag(explain($j));
my $hc = $t2->inspect('warned')->{HostConfig};
ok($hc->{Memory} == 0 && $hc->{MemorySwap} == -1 && $hc->{CpuShares} == 0,
   'cgroups off: the limits are discarded') or diag(explain($hc));

($rc, $out, $err) = $t2->docker('create', '--cpus', '1', 'busybox');
$re = 'NanoCPUs can not be set, as your kernel does not support CPU CFS '
      . 'scheduler or the cgroup is not mounted';
like($err, qr/\Q$re\E/, 'cgroups off: --cpus is an error') or diag($err);

($rc, $out, $err) = $t2->docker('run', '-d', '--name', 'upw', 'busybox',
                                'sleep', '300');
($st, $j) = $t2->api_json('POST', '/containers/upw/update',
                          { PidsLimit => 50 });
ok($st == 200 && @{ $j->{Warnings} // [] } == 1
   && $j->{Warnings}[0] =~ /PIDs limit discarded/,
   'cgroups off: update answers the warning') or diag(explain($j));
ok(!defined $t2->inspect('upw')->{HostConfig}{PidsLimit},
   'cgroups off: update discards the limit');
$t2->docker('rm', '-f', 'upw');

$t2->stop;
