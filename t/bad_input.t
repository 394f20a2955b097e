#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Bad input gets Docker-style errors and the workers keep serving: malformed
# JSON, unknown ids, a body over the limit, a second start, an exec into a
# stopped container, a killed agent.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test qw(json_encode);

my $t = Sockerless::Test->new->write_conf->plan(31);
$t->run;

ok($t->load_busybox, 'busybox loaded');

sub serving {
    my ($what) = @_;
    my ($rc, $out, $err) = $t->docker('ps', '-a');
    ok($rc == 0 && $out =~ /^CONTAINER ID/, "docker ps serves after $what")
        or diag($err);
}

# malformed JSON
my ($st, $h, $b) = $t->api('POST', '/containers/create',
                           '{"Image": "busybox", "Cmd": [');
my $j = eval { Sockerless::Test::json_decode($b) };
ok($st == 400 && ref $j eq 'HASH' && ($j->{message} // '') =~ /^invalid JSON/,
   'malformed JSON: 400 invalid JSON') or diag("$st $b");
like($h->{'content-type'} // '', qr{^application/json}, 'error is JSON');
serving('malformed JSON');

# unknown ids
($st, $j) = $t->api_json('GET', '/containers/nosuchid/json');
ok($st == 404 && ($j->{message} // '') eq 'No such container: nosuchid',
   'unknown container: 404 No such container');
my ($rc, $out, $err) = $t->docker('start', 'nosuchid');
ok($rc != 0 && $err =~ /No such container: nosuchid/, 'docker start of an '
   . 'unknown container') or diag($err);
($rc, $out, $err) = $t->docker('logs', 'nosuchid');
ok($rc != 0 && $err =~ /No such container: nosuchid/, 'docker logs of an '
   . 'unknown container');
($st, $j) = $t->api_json('DELETE', '/containers/nosuchid');
ok($st == 404 && ($j->{message} // '') eq 'No such container: nosuchid',
   'remove an unknown container: 404');
($st, $j) = $t->api_json('GET', '/images/nosuchimage/json');
ok($st == 404 && ($j->{message} // '') =~ /^No such image: nosuchimage/,
   'unknown image: 404 No such image');
serving('unknown ids');

# a body over the limit (1 MiB for JSON)
my $big = json_encode({ Image => 'busybox', Cmd => ['true'],
                        Env => ['A=' . ('x' x (2 * 1024 * 1024))] });
($st, $h, $b) = $t->api('POST', '/containers/create', $big);
$j = eval { Sockerless::Test::json_decode($b) };
ok($st == 413 && ref $j eq 'HASH' && ($j->{message} // '') ne '',
   '2 MiB of JSON: 413 with a JSON message') or diag("$st $b");
serving('a body over the limit');

# a second start
($rc, $out) = $t->docker('run', '-d', '--name', 'rr', 'busybox', 'sh', '-c',
                         'while true; do sleep 0.1; done');
chomp(my $id = $out);
($st, $h, $b) = $t->api('POST', "/containers/$id/start");
ok($st == 304 && $b eq '', 'second start: 304');
serving('a second start');

# exec into a stopped container
my ($rc2, $out2) = $t->docker('run', '-d', 'busybox', 'true');
chomp(my $sid = $out2);
$t->docker('wait', $sid);
($st, $j) = $t->api_json('POST', "/containers/$sid/exec",
                         { Cmd => ['true'] });
ok($st == 409 && ($j->{message} // '') eq "container $sid is not running",
   'exec into a stopped container: 409');
serving('an exec into a stopped container');

# a name filter whose regex would take gigabytes to compile: skipped
my $re = ('(' x 20) . 'a+' . (')+' x 19) . ')+';
my ($rc4, $out4, $err4) = $t->docker('ps', '-a', '--filter', "name=$re");
is($rc4, 0, 'pathological name regex: answered') or diag($err4);
serving('a pathological name regex');

# since/until that are not times: 400 with Go's words, not ignored
($st, $j) = $t->api_json('GET', "/containers/$sid/logs?stdout=1&since=abc");
ok($st == 400 && ($j->{message} // '') =~ /invalid syntax/,
   'logs since=abc: 400') or diag("$st");
($st, $j) = $t->api_json('GET', '/events?since=1&until=abc');
ok($st == 400 && ($j->{message} // '') =~ /invalid syntax/,
   'events until=abc: 400') or diag("$st");

# a logging driver that would ship the log elsewhere: refused, not ignored
my ($rc3, $out3, $err3) = $t->docker('run', '--log-driver', 'syslog',
                                     'busybox', 'true');
ok($rc3 != 0 && $err3 =~ /logging driver "syslog" is not supported/,
   'unsupported logging driver: 400') or diag($err3);

# a killed agent
SKIP: {
    skip 'the container did not start', 9 unless $id =~ /^[0-9a-f]{64}$/;

    my @agents = $t->agent_pids($id);
    ok(@agents, 'the agent process of the container is found');
    skip 'no agent process found for the container', 8 unless @agents;

    kill 'KILL', $agents[0];
    my $c = $t->wait_status($id, 'exited', 30);
    ok($c && !$c->{State}{Running}, 'killed agent: the container is exited')
        or diag(Sockerless::Test::json_encode($t->inspect($id)));
    ok(!grep({ (readlink("/proc/$_/root") // '') =~ /\Q$id\E/ }
             $t->prefix_pids), 'no process of the container is left');

    ($rc, $out, $err) = $t->docker('exec', $id, 'true');
    ok($rc != 0 && $err =~ /container \Q$id\E is not running/,
       'exec after the agent died: not running');
    # as dockerd, a stream to a stopped container waits for its next
    # run: the answer's headers come at once, then nothing until a start
    my $as = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                   PeerPort => $t->port) or die "$!\n";
    print $as "POST /containers/$id/attach?stream=1&stdout=1&logs=0 "
        . "HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    my $ah = '';
    while ($ah !~ /\r\n\r\n/) {
        sysread($as, $ah, 4096, length $ah) or last;
    }
    like($ah, qr{^HTTP/1\.1 200 .*application/vnd\.docker\.multiplexed}s,
         'attach after the agent died: headers at once, as dockerd');
    close $as;
    ($rc, $out) = $t->docker('stop', '-t', '1', $id);
    is($rc, 0, 'stop after the agent died');
    ($rc) = $t->docker('rm', $id);
    is($rc, 0, 'rm after the agent died');
    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'echo', 'alive');
    is($out, "alive\n", 'new containers run after an agent died');
    serving('a killed agent');
}

serving('everything');

$t->done;
