#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker exec: output, exit codes, env, workdir, user, stdin, tty, detach,
# exec inspect, exec into a stopped container, and the agent token kept out
# of sight.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(33);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'ex', 'busybox',
    'sh', '-c', 'while true; do sleep 1; done');
chomp(my $id = $out);
ok($rc == 0 && $id =~ /^[0-9a-f]{64}$/, 'run -d') or diag($err);

($rc, $out) = $t->docker('exec', 'ex', 'echo', 'hi');
ok($rc == 0 && $out eq "hi\n", 'exec echo');

($rc, $out) = $t->docker('exec', substr($id, 0, 12), 'echo', 'by', 'id');
is($out, "by id\n", 'exec by short id');

($rc) = $t->docker('exec', 'ex', 'sh', '-c', 'exit 5');
is($rc, 5, 'exec exit code 5');

($rc, $out, $err) = $t->docker('exec', 'ex', 'sh', '-c',
                               'echo o; echo e >&2');
ok($out eq "o\n" && $err eq "e\n", 'exec: stdout and stderr apart');

($rc, $out) = $t->docker('exec', '-e', 'A=b c', 'ex', 'sh', '-c',
                         'echo "$A"');
is($out, "b c\n", 'exec -e');

($rc, $out) = $t->docker('exec', '-w', '/tmp', 'ex', 'pwd');
is($out, "/tmp\n", 'exec -w');

($rc, $out) = $t->docker('exec', '-u', '1000', 'ex', 'id', '-u');
is($out, "1000\n", 'exec -u 1000');
($rc, $out) = $t->docker('exec', '-u', 'tester', 'ex', 'sh', '-c',
                         'id -u; id -g');
is($out, "1000\n1000\n", 'exec -u tester');

($rc, $out, $err) = $t->docker('exec', 'ex', 'nosuchcmd');
is($rc, 127, 'exec of a missing command: 127');
like($out . $err, qr/executable file not found/,
     'exec of a missing command: message');

# stdin
open my $r, '<', '/dev/urandom' or die "urandom: $!\n";
my $data = '';
read($r, $data, 1 << 20) == 1 << 20 or die "read: $!\n";
close $r;
my $in = $t->write_file('in.bin', $data);
($rc, $out) = $t->docker_in($in, 'exec', '-i', 'ex', 'cat');
ok($rc == 0 && sha256_hex($out) eq sha256_hex($data), 'exec -i cat: 1 MiB '
   . 'round trip');

# a client that stops reading for a while: nginx must hear when it can
# write again, or both directions stall for good
my $slow = $t->write_file('slow.sh',
    'head -c 33554432 /dev/urandom > "$1/slow.in"; '
    . 'docker exec -i ex cat < "$1/slow.in" '
    . '| { sleep 2; sha256sum; } > "$1/slow.out"; '
    . 'sha256sum < "$1/slow.in" > "$1/slow.want"');
($rc, $out, $err) = $t->command({ env => $t->docker_env, timeout => 120 },
                                'sh', $slow, $t->{prefix});
ok($rc == 0 && $t->read_file("$t->{prefix}/slow.out") ne ''
   && $t->read_file("$t->{prefix}/slow.out")
      eq $t->read_file("$t->{prefix}/slow.want"),
   'exec -i cat: 32 MiB to a client that pauses reading') or diag($err);

# detached exec
($rc) = $t->docker('exec', '-d', 'ex', 'sh', '-c', 'echo x > /tmp/flag');
is($rc, 0, 'exec -d');
my $flag = $t->wait_for(30, sub {
    my ($rc, $out) = $t->docker('exec', 'ex', 'cat', '/tmp/flag');
    return $out eq "x\n";
});
ok($flag, 'exec -d ran its command');

# exec inspect through the API
my ($st, $j) = $t->api_json('POST', "/containers/ex/exec",
    { Cmd => ['sh', '-c', 'exit 7'], AttachStdout => JSON::PP::true });
my $eid = $j ? $j->{Id} // '' : '';
ok($st == 201 && $eid =~ /^[0-9a-f]{64}$/, 'exec create: 201 and Id');

($st, $j) = $t->api_json('GET', "/exec/$eid/json");
ok($st == 200 && !$j->{Running} && ($j->{ContainerID} // '') eq $id,
   'exec inspect before start');

($st) = $t->api('POST', "/exec/$eid/start", { Detach => JSON::PP::true });
is($st, 200, 'exec start detached');
$j = $t->wait_for(30, sub {
    my ($st, $j) = $t->api_json('GET', "/exec/$eid/json");
    return $j && !$j->{Running} && defined $j->{ExitCode} ? $j : undef;
});
is($j ? $j->{ExitCode} : undef, 7, 'exec inspect: ExitCode 7');
is($j ? $j->{ProcessConfig}{entrypoint} : undef, 'sh',
   'exec inspect: ProcessConfig.entrypoint');

($st, $j) = $t->api_json('GET', '/exec/nosuchexec/json');
ok($st == 404 && ($j->{message} // '') =~ /No such exec instance/,
   'exec inspect of an unknown id: 404');

# exec -it in a terminal
SKIP: {
    skip 'no tmux', 3 unless $t->has_tool('tmux');

    my $tm = $t->tmux(90, 25, 'docker', 'exec', '-it', 'ex', 'sh');
    ok($tm->wait_screen(qr{^/ # }m, 60), 'exec -it: prompt')
        or diag($tm->capture);
    $tm->type_line(q{[ -t 0 ] && echo "T""TY"; stty size | sed 's/^/SZ:/'});
    ok($tm->wait_screen(qr/^TTY\s*\n(?:.*\n)*?SZ:25 90\s*$/m, 30),
       'exec -it: a terminal of the pane size') or diag($tm->capture);
    $tm->type_line('exit 6');
    is($tm->wait_exit(30), 6, 'exec -it: exit status');
}

# the agent token is nowhere to be seen
($rc, $out) = $t->docker('exec', 'ex', 'env');
ok($rc == 0 && $out =~ /^PATH=/m && $out !~ /SOCKERLESS/,
   'exec env: no SOCKERLESS variable');

($rc, $out) = $t->docker('exec', 'ex', 'sh', '-c',
    'cat /proc/[0-9]*/environ | tr "\0" "\n"');
ok($rc == 0 && $out =~ /PATH=/ && $out !~ /SOCKERLESS/,
   'no process in the container has a SOCKERLESS variable');

($rc, my $insp) = $t->docker('inspect', 'ex');
ok($rc == 0 && $insp !~ /SOCKERLESS|"_sls"/i, 'inspect: no token, no _sls');

SKIP: {
    my @agents = $t->agent_pids($id);
    skip 'agent process not found', 1 unless @agents;
    my ($token) = grep { defined } map {
        $t->proc_environ($_)->{SOCKERLESS_AGENT_TOKEN}
    } @agents;
    skip 'token not visible in /proc environ', 1 unless defined $token;
    my ($rc2, $all) = $t->docker('exec', 'ex', 'sh', '-c',
        'cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline');
    ok(length $token >= 16 && index($insp, $token) < 0
       && index($all, $token) < 0, 'the token value appears nowhere');
}

# exec into a stopped container
($rc) = $t->docker('stop', '-t', '1', 'ex');
is($rc, 0, 'stop');
($rc, $out, $err) = $t->docker('exec', 'ex', 'echo', 'hi');
ok($rc != 0 && $err =~ /container \Q$id\E is not running/,
   'exec into a stopped container: CLI error') or diag($err);
($st, $j) = $t->api_json('POST', '/containers/ex/exec', { Cmd => ['true'] });
ok($st == 409 && ($j->{message} // '') eq "container $id is not running",
   'exec into a stopped container: 409');

($rc) = $t->docker('ps');
is($rc, 0, 'docker ps still serves');

$t->done;
