#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker run -d, docker logs (follow, tail, timestamps, since, until, the
# two streams), docker stop and the exit state it leaves.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test qw(time_ns);

my $t = Sockerless::Test->new->write_conf->plan(28);
$t->run;

ok($t->load_busybox, 'busybox loaded');

# logs --timestamps use Go's RFC3339NanoFixed, inspect uses RFC3339Nano,
# whose fraction loses its trailing zeros (and the dot when it is zero)
my $ts_re = qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z/;
my $nano_re = qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{0,8}[1-9])?Z/;

my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'lg', 'busybox',
    'sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; '
    . 'done');
chomp(my $id = $out);
ok($rc == 0 && $id =~ /^[0-9a-f]{64}$/, 'run -d prints the id')
    or diag($err);

my $logs = $t->wait_for(30, sub {
    my ($rc, $out) = $t->docker('logs', 'lg');
    return $out =~ /^line3$/m ? $out : undef;
});
like($logs // '', qr/\Aline0\nline1\nline2\nline3\n/, 'logs from the start');

my $c = $t->inspect('lg');
ok($c && $c->{State}{Running} && $c->{State}{Status} eq 'running'
   && $c->{State}{Pid} > 0, 'inspect: running, with a Pid');

# follow: new lines keep arriving
my ($last) = ($logs // '') =~ /line(\d+)\n\z/;
$last //= 0;
my $f = $t->docker_spawn('logs', '-f', 'lg');
my $got = $f->wait_output(qr/^line(?:\d+)\n(?:.*\n)*?line(\d+)\n/m, 30);
my $seen = $f->wait_output(qr/^line(?!$last\b)(?:\d+)\n\z/m, 30) // '';
my @n = $seen =~ /^line(\d+)$/mg;
ok(@n >= 2 && $n[-1] > $last, 'logs -f follows new lines');
ok(@n >= 2 && !grep({ $n[$_] != $n[0] + $_ } 0 .. $#n), 'logs -f: no line lost or '
   . 'repeated');
ok($f->alive, 'logs -f keeps running');
$f->kill;

($rc, $out) = $t->docker('logs', '--tail', '2', 'lg');
my @tail = $out =~ /^line(\d+)$/mg;
ok($rc == 0 && @tail == 2 && $tail[1] == $tail[0] + 1
   && $out =~ /\Aline\d+\nline\d+\n\z/, 'logs --tail 2');

($rc, $out) = $t->docker('logs', '--tail', '0', 'lg');
ok($rc == 0 && $out eq '', 'logs --tail 0');

($rc, $out) = $t->docker('logs', '-t', 'lg');
my @lines = split /\n/, $out;
ok(@lines >= 4 && !grep({ !/^$ts_re line\d+$/ } @lines),
   'logs --timestamps: RFC3339Nano before each line') or diag($out);

# two streams
($rc, $out) = $t->docker('run', '-d', '--name', 'two', 'busybox', 'sh', '-c',
                         'echo out1; echo err1 >&2; echo out2');
$t->wait_status('two', 'exited');
($rc, $out, $err) = $t->docker('logs', 'two');
ok($out eq "out1\nout2\n" && $err eq "err1\n", 'logs: stdout and stderr '
   . 'apart') or diag("out '$out' err '$err'");

# stop: sh is pid 1 of its PID namespace when root, so it ignores SIGTERM
# and gets SIGKILL after the timeout; without namespaces TERM kills it
my $want = $t->is_root ? 137 : 143;
($rc, $out, $err) = $t->docker('stop', '-t', '1', 'lg');
ok($rc == 0 && $out eq "lg\n", 'docker stop -t 1') or diag($err);

$c = $t->inspect('lg');
my $s = $c ? $c->{State} : {};
is($s->{Status}, 'exited', 'State.Status exited');
ok(defined $s->{Running} && !$s->{Running}, 'State.Running false');
is($s->{ExitCode}, $want, "State.ExitCode $want");
like($s->{StartedAt} // '', qr/^$nano_re$/, 'StartedAt RFC3339Nano');
like($s->{FinishedAt} // '', qr/^$nano_re$/, 'FinishedAt RFC3339Nano');
ok((time_ns($s->{FinishedAt}) // '') gt (time_ns($s->{StartedAt}) // 'z'),
   'FinishedAt after StartedAt');
ok(defined $s->{Pid} && $s->{Pid} == 0, 'Pid 0 after exit');

($rc, $out) = $t->docker('wait', 'lg');
is($out, "$want\n", 'docker wait of an exited container');

($rc, $out) = $t->docker('logs', 'lg');
like($out, qr/\Aline0\nline1\n/, 'logs still there after exit');

# since and until against the timestamps of the stopped container's log
($rc, $out) = $t->docker('logs', '-t', 'lg');
my @rec = map { [/^($ts_re) (.*)$/] } split /\n/, $out;
my $k = int(@rec / 2);
my $tk = $rec[$k] ? $rec[$k][0] : '2000-01-01T00:00:00.000000000Z';

($rc, $out) = $t->docker('logs', '--since', $tk, 'lg');
my $exp = join '', map { "$_->[1]\n" } grep { $_->[0] ge $tk } @rec;
ok(@rec > 2 && $out eq $exp, 'logs --since a timestamp');

($rc, $out) = $t->docker('logs', '--until', $tk, 'lg');
$exp = join '', map { "$_->[1]\n" } grep { $_->[0] le $tk } @rec;
ok(@rec > 2 && $out eq $exp, 'logs --until a timestamp');

($rc, $out) = $t->docker('logs', '--since', '2000-01-01T00:00:00Z',
                         '--until', '2001-01-01T00:00:00Z', 'lg');
ok($rc == 0 && $out eq '', 'logs --since/--until before the start');

# a trap turns SIGTERM into exit 143
($rc, $out) = $t->docker('run', '-d', '--name', 'trap', 'busybox', 'sh',
    '-c', q{trap 'exit 143' TERM; echo ready; }
          . q{while true; do sleep 0.1; done});
$t->wait_for(30, sub { ($t->docker('logs', 'trap'))[1] =~ /ready/ });
($rc) = $t->docker('stop', '-t', '30', 'trap');
is($rc, 0, 'stop a container that traps TERM');
$c = $t->inspect('trap');
is($c ? $c->{State}{ExitCode} : undef, 143, 'trap: ExitCode 143');

# a container that ends by itself
($rc, $out) = $t->docker('run', '-d', 'busybox', 'sh', '-c', 'exit 9');
chomp(my $id9 = $out);
($rc, $out) = $t->docker('wait', $id9);
is($out, "9\n", 'docker wait: exit code of a run -d container');

($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}');
ok($rc == 0 && $out =~ /^lg$/m, 'docker ps still serves');

$t->done;
