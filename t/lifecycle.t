#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Container lifecycle: kill, pause/unpause, restart, rename, wait, rm -f,
# a second start, prune, top, stats, --rm.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test qw(time_ns);
use IO::Socket::INET;

my $t = Sockerless::Test->new->write_conf->plan(45);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my $loop = 'while true; do sleep 0.1; done';

sub run_d {
    my ($rc, $out, $err) = $t->docker('run', '-d', @_);
    chomp $out;
    diag("run -d @_: $err") if $rc != 0;
    return $out;
}

# kill -s KILL
my $k = run_d('--name', 'kk', 'busybox', 'sh', '-c', $loop);
my ($rc, $out, $err) = $t->docker('kill', '-s', 'KILL', 'kk');
ok($rc == 0 && $out eq "kk\n", 'kill -s KILL');
($rc, $out) = $t->docker('wait', 'kk');
is($out, "137\n", 'killed by SIGKILL: 137');

# kill -s TERM with a trap, and a signal that does not end the process
run_d('--name', 'tr', 'busybox', 'sh', '-c',
      q{trap 'echo got-usr1' USR1; trap 'exit 42' TERM; echo ready; } . $loop);
$t->wait_for(30, sub { ($t->docker('logs', 'tr'))[1] =~ /ready/ });
($rc) = $t->docker('kill', '-s', 'USR1', 'tr');
ok($rc == 0 && $t->wait_for(30, sub {
    ($t->docker('logs', 'tr'))[1] =~ /got-usr1/ }), 'kill -s USR1 reaches '
    . 'the trap');
my $c = $t->inspect('tr');
ok($c && $c->{State}{Running}, 'still running after USR1');
($rc) = $t->docker('kill', '-s', 'TERM', 'tr');
($rc, $out) = $t->docker('wait', 'tr');
is($out, "42\n", 'kill -s TERM: the trap\'s exit code');

# pause / unpause
my $p = run_d('--name', 'pz', 'busybox', 'sh', '-c',
              'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; '
              . 'sleep 0.05; done');
($rc, $out) = $t->docker('pause', 'pz');
ok($rc == 0 && $out eq "pz\n", 'pause');
$c = $t->inspect('pz');
ok($c && $c->{State}{Paused} && $c->{State}{Status} eq 'paused'
   && $c->{State}{Running}, 'inspect: Paused, Status paused, Running');
($rc, $out) = $t->docker('ps', '--filter', 'name=pz', '--format',
                         '{{.Status}}');
like($out, qr/^Up .*\(Paused\)$/, 'ps status shows (Paused)');
($rc, $out, $err) = $t->docker('exec', 'pz', 'true');
ok($rc != 0 && $err =~ /[Cc]ontainer \S+ is paused, unpause the container before exec/,
   'exec into a paused container: 409 message') or diag($err);

SKIP: {
    my @pids = grep { (readlink("/proc/$_/root") // '') =~ /\Q$p\E/ }
               $t->prefix_pids;
    skip 'container processes not found', 1 unless @pids;
    my $stopped = $t->wait_for(10, sub {
        !grep {
            my $s = $t->read_file("/proc/$_/stat");
            $s ne '' && $s !~ /\)\s+T\s/;
        } @pids;
    });
    ok($stopped, 'every process of the container is stopped (T)');
}

($rc, $out) = $t->docker('unpause', 'pz');
ok($rc == 0 && $out eq "pz\n", 'unpause');
$c = $t->inspect('pz');
ok($c && !$c->{State}{Paused} && $c->{State}{Status} eq 'running',
   'inspect after unpause');
my ($n1) = ($t->docker('exec', 'pz', 'cat', '/tmp/n'))[1] =~ /(\d+)/;
my $moved = $t->wait_for(10, sub {
    my ($n2) = ($t->docker('exec', 'pz', 'cat', '/tmp/n'))[1] =~ /(\d+)/;
    defined $n1 && defined $n2 && $n2 > $n1;
});
ok($moved, 'the process runs again after unpause');

# restart
my $before = $t->inspect('pz');
($rc, $out) = $t->docker('restart', '-t', '1', 'pz');
ok($rc == 0 && $out eq "pz\n", 'restart');
$c = $t->inspect('pz');
ok($c && $before && $c->{State}{Running}
   && (time_ns($c->{State}{StartedAt}) // '')
      gt (time_ns($before->{State}{StartedAt}) // 'z')
   && $c->{State}{Pid} != $before->{State}{Pid}, 'restart: new StartedAt '
   . 'and Pid');
is($c ? $c->{RestartCount} : undef, 0, 'manual restart keeps RestartCount');

# rename
($rc) = $t->docker('rename', 'pz', 'pz2');
is($rc, 0, 'rename');
$c = $t->inspect('pz2');
ok($c && $c->{Name} eq '/pz2' && $c->{Id} eq $p, 'inspect by the new name');
($rc, $out, $err) = $t->docker('inspect', 'pz');
ok($rc != 0 && $err =~ /No such object: pz/, 'old name is gone');
my ($st, $j) = $t->api_json('POST', '/containers/pz2/rename?name=kk');
ok($st == 409 && ($j->{message} // '') =~ /^Conflict\. The container name "\/kk"/,
   'rename onto a used name: 409');

# wait
run_d('--name', 'ww', 'busybox', 'sh', '-c', 'sleep 0.5; exit 9');
($rc, $out) = $t->docker('wait', 'ww');
ok($rc == 0 && $out eq "9\n", 'docker wait prints the exit code');
($st, $j) = $t->api_json('POST', '/containers/ww/wait');
ok($st == 200 && ($j->{StatusCode} // -1) == 9, 'API wait of an exited '
   . 'container (not-running)');

# a second start
my $s2 = run_d('--name', 's2', 'busybox', 'sh', '-c', $loop);
my ($st2, $h2, $b2) = $t->api('POST', "/containers/$s2/start");
ok($st2 == 304 && $b2 eq '', 'second start: 304, no body');
($rc, $out) = $t->docker('start', 's2');
ok($rc == 0 && $out eq "s2\n", 'docker start of a running container');

# top and stats
($rc, $out) = $t->docker('top', 's2');
ok($rc == 0 && $out =~ /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/
   && $out =~ /sleep|sh -c/, 'docker top') or diag($out);
my ($tst, $top) = $t->api_json('GET', '/containers/s2/top');
ok($tst == 200 && @{ $top->{Processes} // [] }
   && !grep({ @$_ != @{ $top->{Titles} } } @{ $top->{Processes} })
   && !grep({ $_->[7] !~ /sleep|sh/ } @{ $top->{Processes} }),
   'top: every row has a value per title, CMD last')
    or diag(explain($top));
($rc, $out, $err) = $t->docker('stats', '--no-stream', 's2');
ok($rc == 0 && $out =~ /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT/
   && $out =~ /^\Q${\ substr($s2, 0, 12)}\E\s+s2\s+\d/m, 'docker stats '
   . '--no-stream') or diag("$out$err");
($st, $j) = $t->api_json('GET', '/containers/s2/stats?stream=false');
ok($st == 200 && ref $j eq 'HASH' && $j->{memory_stats}
   && $j->{cpu_stats}, 'stats API: one sample');

# rm -f of a running container
($rc, $out) = $t->docker('rm', '-f', 's2');
ok($rc == 0 && $out eq "s2\n", 'rm -f a running container');
($rc, $out) = $t->docker('ps', '-a', '-q', '--no-trunc');
ok($rc == 0 && index($out, $s2) < 0, 'gone from ps -a');
ok($s2 =~ /^[0-9a-f]{64}$/
   && $t->wait_for(30, sub { !$t->agent_pids($s2) && !grep {
        (readlink("/proc/$_/root") // '') =~ /\Q$s2\E/ } $t->prefix_pids }),
   'its processes are gone');

($rc, $out, $err) = $t->docker('rm', 'pz2');
ok($rc != 0 && $err =~ /stop the container before removing or force remove/,
   'rm of a running container without -f: conflict') or diag($err);

# --rm
($rc, $out) = $t->docker('run', '--rm', '--name', 'gone', 'busybox', 'true');
my ($rc2) = $t->docker('inspect', 'gone');
ok($rc == 0 && $rc2 != 0, 'run --rm: removed when the CLI returns');
my $g2 = run_d('--rm', '--name', 'gone2', 'busybox', 'sh', '-c', $loop);
$t->docker('kill', 'gone2');
ok($g2 =~ /^[0-9a-f]{64}$/
   && $t->wait_for(30, sub { ($t->docker('inspect', 'gone2'))[0] != 0 }),
   'run -d --rm: removed after it ends');

# prune
($rc, $out) = $t->docker('create', '--name', 'pr', 'busybox', 'true');
chomp(my $pr = $out);
# until as a Go duration: only what was created more than an hour ago
($rc, $out, $err) = $t->docker('container', 'prune', '-f', '--filter',
                               'until=1h');
ok($rc == 0 && $out !~ /[0-9a-f]{64}/, 'prune until=1h keeps recent ones')
    or diag("$out$err");
($rc, $out, $err) = $t->docker('container', 'prune', '-f', '--filter',
                               'until=soon');
ok($rc != 0 && $err =~ /invalid syntax|parsing/,
   'prune until that is not a time: 400') or diag($err);

($rc, $out) = $t->docker('container', 'prune', '-f');
ok($rc == 0 && index($out, $pr) >= 0 && index($out, $k) >= 0
   && $out =~ /Total reclaimed space/, 'container prune lists what it '
   . 'removed') or diag($out);
($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}');
my %left = map { $_ => 1 } split /\n/, $out;
ok($rc == 0 && $pr =~ /^[0-9a-f]{64}$/
   && !$left{pr} && !$left{kk} && !$left{ww}, 'stopped containers pruned');
ok($left{pz2}, 'running container kept by prune');

# rm -f of a running container: it dies (137) before it goes
my $t0 = time - 1;
$t->docker('run', '-d', '--name', 'rmf', 'busybox', 'sleep', '300');
my $ws = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port)
    or die "connect: $!\n";
print $ws "POST /containers/rmf/wait?condition=removed HTTP/1.1\r\n"
    . "Host: x\r\nContent-Length: 0\r\n\r\n";
# dockerd sends the headers at once: then the wait is registered
my $head = '';
while ($head !~ /\r\n\r\n/) {
    sysread($ws, $head, 4096, length $head) or last;
}
($rc) = $t->docker('rm', '-f', 'rmf');
is($rc, 0, 'rm -f of a running container');
my $body = '';
while (sysread($ws, $body, 4096, length $body)) {
    last if $body =~ /StatusCode/;
}
like($body, qr/"StatusCode":137/, 'a waiter of the removed container gets 137');
my ($erc, $ev) = $t->docker('events', '--since', $t0, '--until', time + 1,
                            '--filter', 'container=rmf', '--filter',
                            'event=die', '--format',
                            '{{.Actor.Attributes.exitCode}}');
is($ev, "137\n", 'the die event says 137');

# stop of a stopped container is fine, as with dockerd (304)
($rc) = $t->docker('stop', 'pz2');
($st) = $t->api('POST', '/containers/pz2/stop');
is($st, 304, 'stop of a stopped container: 304');

($rc) = $t->docker('ps');
is($rc, 0, 'docker ps still serves');

$t->done;
