#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Health checks as dockerd runs them: --health-* and an image HEALTHCHECK,
# State.Health (status, streak, log), docker ps, the health filter, the
# health_status events, the start period, a probe killed at its timeout,
# --no-healthcheck, a stopped container, the Docker SDK for Python.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(37);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my $since = time;

sub health {
    my ($name) = @_;
    my ($st, $j) = $t->api_json('GET', "/containers/$name/json");
    return $st == 200 ? $j->{State}{Health} : undef;
}

sub wait_status {
    my ($name, $want) = @_;
    return $t->wait_for(60, sub {
        my $h = health($name);
        return $h && $h->{Status} eq $want ? $h : undef;
    });
}

sub names {
    my (@args) = @_;
    my ($rc, $out, $err) = $t->docker('ps', '-a', '--format', '{{.Names}}',
                                      @args);
    return $rc == 0 ? join(',', sort split /\n/, $out) : "error: $err";
}

# a passing check

my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-good',
                                  '--health-cmd', 'echo hi; id -u',
                                  '--health-interval', '1s',
                                  '-u', '1000', 'busybox', 'sleep', '300');
is($rc, 0, 'run --health-cmd') or diag($err);

my $h = health('hc-good');
ok($h && $h->{Status} =~ /^(starting|healthy)$/,
   'State.Health is there once started');

$h = wait_status('hc-good', 'healthy');
ok($h, 'a passing check becomes healthy');
is($h && $h->{FailingStreak}, 0, 'healthy: no failing streak');
is($h && $h->{Log}[0]{Output}, "hi\n1000\n",
   'the log has the output, run as the container\'s user');
ok($h && $h->{Log}[0]{ExitCode} == 0
   && $h->{Log}[0]{Start} =~ /^\d{4}-\d\d-\d\dT[\d:.]+Z$/
   && $h->{Log}[0]{End} ge $h->{Log}[0]{Start},
   'the log entry has exit code, start and end');

($rc, $out) = $t->docker('inspect', '-f',
                         '{{json .Config.Healthcheck}}', 'hc-good');
like($out, qr/"Test":\["CMD-SHELL","echo hi; id -u"\].*"Interval":1000000000/,
     'Config.Healthcheck from --health-*');

($rc, $out) = $t->docker('ps', '--filter', 'name=hc-good', '--format',
                         '{{.Status}}');
like($out, qr/^Up .* \(healthy\)$/, 'docker ps: (healthy)');

# a failing check: unhealthy after Retries

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-bad',
                               '--health-cmd', 'echo bad >&2; exit 3',
                               '--health-interval', '1s',
                               '--health-retries', '2',
                               'busybox', 'sleep', '300');
is($rc, 0, 'run a failing check') or diag($err);

$h = wait_status('hc-bad', 'unhealthy');
ok($h, 'a failing check becomes unhealthy');
ok($h && $h->{FailingStreak} >= 2, 'unhealthy after 2 retries')
    or diag(explain $h);
ok($h && $h->{Log}[-1]{ExitCode} == 3 && $h->{Log}[-1]{Output} eq "bad\n",
   'the failure\'s exit code and stderr in the log');

ok($t->wait_for(60, sub {
       my $x = health('hc-bad');
       return $x && @{ $x->{Log} } == 5 && $x->{FailingStreak} > 5;
   }), 'the log keeps the last 5 results while the streak grows');

($rc, $out) = $t->docker('ps', '--filter', 'name=hc-bad', '--format',
                         '{{.Status}}');
like($out, qr/^Up .* \(unhealthy\)$/, 'docker ps: (unhealthy)');

is(names('--filter', 'health=healthy'), 'hc-good', 'filter health=healthy');
is(names('--filter', 'health=unhealthy'), 'hc-bad',
   'filter health=unhealthy');

# the start period: failures do not count while starting

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-period',
                               '--health-cmd', 'exit 1',
                               '--health-interval', '1s',
                               '--health-start-period', '300s',
                               '--health-start-interval', '1s',
                               '--health-retries', '1',
                               'busybox', 'sleep', '300');
is($rc, 0, 'run with a start period') or diag($err);

$h = $t->wait_for(60, sub {
    my $x = health('hc-period');
    return $x && @{ $x->{Log} } >= 2 ? $x : undef;
});
ok($h && $h->{Status} eq 'starting' && $h->{FailingStreak} == 0,
   'failures in the start period do not count') or diag(explain $h);
is(names('--filter', 'health=starting'), 'hc-period',
   'filter health=starting');

($rc, $out) = $t->docker('ps', '--filter', 'name=hc-period', '--format',
                         '{{.Status}}');
like($out, qr/^Up .* \(health: starting\)$/, 'docker ps: (health: starting)');

# a probe that hangs is killed at the timeout

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-hang',
                               '--health-cmd', 'echo waiting; sleep 600',
                               '--health-interval', '1s',
                               '--health-timeout', '1s',
                               '--health-retries', '1',
                               'busybox', 'sleep', '300');
is($rc, 0, 'run with a probe that hangs') or diag($err);

$h = wait_status('hc-hang', 'unhealthy');
ok($h && $h->{Log}[0]{ExitCode} == -1
   && $h->{Log}[0]{Output} eq
      "Health check exceeded timeout (1s): waiting\n",
   'the probe is killed at the timeout, in dockerd\'s words')
    or diag(explain $h);

($rc, $out) = $t->docker('exec', 'hc-hang', 'ps');
unlike($out, qr/sleep 600/, 'no probe left running after its timeout');

# output is cut at 4 KiB as dockerd cuts it

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-long',
                               '--health-cmd',
                               'head -c 5000 /dev/zero | tr "\0" a',
                               '--health-interval', '1s',
                               'busybox', 'sleep', '300');
$h = wait_status('hc-long', 'healthy');
is($h && $h->{Log}[0]{Output}, ('a' x 4096) . '...', 'output cut at 4 KiB');

# stopped: the health stays and no longer moves

($rc) = $t->docker('stop', '-t', '1', 'hc-good');
my $before = health('hc-good');
sleep 3;
my $after = health('hc-good');
ok($before && $after && @{ $after->{Log} } == @{ $before->{Log} }
   && $after->{Log}[-1]{End} eq $before->{Log}[-1]{End},
   'a stopped container\'s health stops updating');

# events

($rc, $out, $err) = $t->docker('events', '--since', $since, '--until',
                               time + 1, '--format',
                               '{{.Action}} {{.Actor.Attributes.name}}');
like($out, qr/^health_status: healthy hc-good$/m,
     'event health_status: healthy');
like($out, qr/^health_status: unhealthy hc-bad$/m,
     'event health_status: unhealthy');

# each probe is an exec to dockerd: created, started, died with its code

($rc, $out, $err) = $t->docker('events', '--since', $since, '--until',
                               time + 1, '--filter', 'container=hc-good',
                               '--format', '{{.Action}}|'
                               . '{{.Actor.Attributes.execID}}|'
                               . q{{{with .Actor.Attributes.exitCode}}{{.}}{{end}}});
my @probe = grep { /^exec_/ } split /\n/, $out;
my ($xid) = ($probe[0] // '') =~ /\|([0-9a-f]{64})\|/;
ok($xid && $probe[0] eq "exec_create: /bin/sh -c echo hi; id -u|$xid|"
   && $probe[1] eq "exec_start: /bin/sh -c echo hi; id -u|$xid|"
   && $probe[2] eq "exec_die|$xid|0",
   'a probe: exec_create, exec_start, exec_die with one exec id')
    or diag(explain \@probe);

# an image HEALTHCHECK, and --no-healthcheck

my $tar = $t->prefix . '/hc.tar';
($rc, $out, $err) = $t->command({ timeout => 120 }, 'python3',
    "$FindBin::Bin/lib/mkimage.py", '--tag', 'hc-image:1', '-o', $tar,
    '--healthcheck', '{"Test": ["CMD", "test", "-d", "/"], '
                     . '"Interval": 1000000000, "Retries": 2}');
($rc, $out, $err) = $t->docker('load', '-i', $tar);
is($rc, 0, 'an image with a HEALTHCHECK loaded') or diag($err);

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-img',
                               'hc-image:1', 'sleep', '300');
ok(wait_status('hc-img', 'healthy'), 'the image\'s check runs');

# a new run: starting again, the log of the earlier one kept

$t->docker('stop', '-t', '1', 'hc-img');
$before = health('hc-img');
($rc, $out, $err) = $t->docker('start', 'hc-img');
my ($st0, $j0) = $t->api_json('GET', '/containers/hc-img/json');
my $started = $j0->{State}{StartedAt} // '';
$after = $t->wait_for(60, sub {
    my $x = health('hc-img');
    return $x && $x->{Status} eq 'healthy'
           && $x->{Log}[-1]{Start} gt $started ? $x : undef;
});
ok($before && $after
   && grep({ $_->{Start} eq $before->{Log}[-1]{Start} } @{ $after->{Log} }),
   'a restarted container probes again, its earlier log kept')
    or diag(explain [$before, $after]);

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-img-retries',
                               '--health-retries', '7',
                               'hc-image:1', 'sleep', '300');
($rc, $out) = $t->docker('inspect', '-f', '{{json .Config.Healthcheck}}',
                         'hc-img-retries');
like($out, qr/"Test":\["CMD","test","-d","\/"\].*"Retries":7/,
     'the image\'s check merged under --health-retries');

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'hc-none',
                               '--no-healthcheck', 'hc-image:1',
                               'sleep', '300');
($rc, $out) = $t->docker('inspect', '-f',
                         '{{json .Config.Healthcheck.Test}} '
                         . '{{json .State.Health}}', 'hc-none');
is($out, "[\"NONE\"] null\n", '--no-healthcheck: no State.Health');
is(names('--filter', 'health=none', '--filter', 'name=hc-none'), 'hc-none',
   'filter health=none');

# dockerd's checks of the create body

my ($st, $j) = $t->api_json('POST', '/containers/create', {
    Image => 'busybox', Cmd => ['true'],
    Healthcheck => { Test => ['CMD', 'true'], Interval => 100 },
});
ok($st == 400 && $j->{message}
   eq 'Interval in Healthcheck cannot be less than 1ms',
   'an interval below 1ms is a 400') or diag("$st " . explain $j);

# the Docker SDK for Python

SKIP: {
    ($rc) = $t->command('python3', '-c', 'import docker');
    skip 'no Docker SDK for Python', 1 if $rc != 0;

    ($rc, $out, $err) = $t->python($t->write_file('sdk.py', <<'EOF'));
import time, docker
c = docker.from_env().containers.run(
    "busybox", ["sleep", "300"], detach=True, name="hc-sdk",
    healthcheck={"test": ["CMD", "true"], "interval": 1000000000})
for _ in range(600):
    c.reload()
    if c.attrs["State"].get("Health", {}).get("Status") == "healthy":
        print("healthy", c.attrs["State"]["Health"]["Log"][0]["ExitCode"])
        break
    time.sleep(0.1)
EOF
    is($out, "healthy 0\n", 'Docker SDK: healthcheck= becomes healthy')
        or diag($err);
}

$t->docker('rm', '-f', map { "hc-$_" } qw(good bad period hang long img
                                          img-retries none sdk));
