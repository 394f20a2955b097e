#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Published ports of the memory backend: -p and -P bind host sockets in
# the agent, which relays them into the container's network namespace;
# docker port, inspect's NetworkSettings.Ports and ps show the real
# bindings; bytes pass both ways exactly, half-close included; a taken
# port fails the start with dockerd's words; stop frees the port, start
# publishes it again; bad port specifications are refused at create.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use POSIX ();
use Socket qw(SHUT_WR);
use Test::More;
use Sockerless::Test;

plan(skip_all => 'publishing into a network namespace needs root')
    unless Sockerless::Test::is_root();

my $t = Sockerless::Test->new->write_conf->plan(43);
$t->run;

ok($t->load_busybox, 'busybox loaded');

# an echo server: busybox nc runs cat for every connection
my @echo = ('busybox', 'nc', '-ll', '-p', '8080', '-e', 'cat');

# sends $data, half-closes, reads everything back; undef on failure
sub echo_through {
    my ($port, $data) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Proto => 'tcp',
                                  Timeout => 5) or return undef;
    binmode $s;

    # write and read at once: the relay must not deadlock either way
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        print {$s} $data;
        shutdown($s, SHUT_WR);
        POSIX::_exit(0);
    }

    my $got = '';
    $s->timeout(30);
    while (1) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $got .= $buf;
    }
    waitpid($pid, 0);
    close $s;
    return $got;
}

# the container's server may not listen yet: retry until it answers
sub echo_ok {
    my ($port, $data) = @_;
    $data //= "ping\n";
    return $t->wait_for(20, sub {
        my $got = echo_through($port, $data);
        return defined $got && $got eq $data;
    });
}

sub can_bind {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                  LocalPort => $port, Proto => 'tcp',
                                  Listen => 1, ReuseAddr => 1);
    return $s ? 1 : 0;
}

# -p 127.0.0.1:<free>:8080

my $hp = $t->free_port;
my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'web', '-p',
                                  "127.0.0.1:$hp:8080", @echo);
is($rc, 0, 'run -p 127.0.0.1:port:8080') or diag($err);

ok(echo_ok($hp), 'the published port answers with the container\'s bytes');

($rc, $out) = $t->docker('port', 'web');
is($out, "8080/tcp -> 127.0.0.1:$hp\n", 'docker port');

($rc, $out) = $t->docker('port', 'web', '8080/tcp');
is($out, "127.0.0.1:$hp\n", 'docker port web 8080/tcp');

my $j = $t->inspect('web');
is_deeply($j->{NetworkSettings}{Ports},
          { '8080/tcp' => [ { HostIp => '127.0.0.1', HostPort => "$hp" } ] },
          'inspect: NetworkSettings.Ports') or diag(explain($j));

($rc, $out) = $t->docker('ps', '--filter', 'name=web', '--format',
                         '{{.Ports}}');
is($out, "127.0.0.1:$hp->8080/tcp\n", 'ps: the PORTS column');

my ($st, $list) = $t->api_json('GET', '/containers/json?filters='
                                      . '%7B%22name%22%3A%5B%22web%22%5D%7D');
is_deeply($list->[0]{Ports},
          [ { IP => '127.0.0.1', PrivatePort => 8080, PublicPort => $hp + 0,
              Type => 'tcp' } ], 'list: Ports as dockerd gives them')
    or diag(explain($list));

# ps --filter publish= and expose=, as dockerd's portOp reads them

($rc, $out) = $t->docker('ps', '--filter', "publish=$hp", '--format',
                         '{{.Names}}');
is($out, "web\n", 'ps --filter publish=<host port>');
($rc, $out) = $t->docker('ps', '--filter', 'expose=8000-8090/tcp',
                         '--format', '{{.Names}}');
is($out, "web\n", 'ps --filter expose=<range>/tcp');
($rc, $out) = $t->docker('ps', '-q', '--filter', 'publish=8080',
                         '--filter', 'expose=8080/udp');
is($out, '', 'neither the container port published nor udp exposed');
($rc, $out, $err) = $t->docker('ps', '--filter', 'publish=1:2');
ok($rc != 0 && $err =~ /filter for 'publish' should not include ':': 1:2/,
   'ps --filter publish with a colon: dockerd\'s 400') or diag($err);

# bytes: a few MiB each way, exactly

my $big = join '', map { chr(int(rand(256))) } 1 .. 65536;
$big x= 64;
my $got = echo_through($hp, $big);
ok(defined $got && length($got) == length($big) && $got eq $big,
   '4 MiB out and back through the proxy, byte-exact')
    or diag('got ' . (defined $got ? length $got : 'nothing'));

# a client that goes away mid-transfer

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $hp,
                                  Proto => 'tcp');
    syswrite($s, substr($big, 0, 1024 * 1024)) if $s;
    close $s if $s;
}

ok(echo_ok($hp), 'a client closing mid-transfer: the next one is served');
is($t->inspect('web')->{State}{Status}, 'running', 'and the container runs');

# a port already taken

my $hp2 = $t->free_port;
my $hold = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                 LocalPort => $hp2, Proto => 'tcp',
                                 Listen => 1, ReuseAddr => 1)
    or die "cannot hold port $hp2: $!\n";

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'taken', '-p',
                               "127.0.0.1:$hp2:8080", @echo);
my $want = 'failed to set up container networking: driver failed '
           . 'programming external connectivity on endpoint taken (';
ok($rc != 0 && index($err, $want) >= 0
   && $err =~ /taken\ \([0-9a-f]{64}\):\ failed\ to\ bind\ host\ port
               \ 127\.0\.0\.1:$hp2\/tcp:\ address\ already\ in\ use/x,
   'a taken port: dockerd\'s error') or diag("rc $rc: $err");

$j = $t->inspect('taken');
is($j && $j->{State}{Status}, 'created', 'the container stays created');

close $hold;
ok(can_bind($hp2), 'no listener was left on the taken port');

# stop frees the port, start publishes it again

($rc, $out, $err) = $t->docker('stop', '-t', '1', 'web');
is($rc, 0, 'stop') or diag($err);
ok(can_bind($hp), 'stop released the port');
is_deeply($t->inspect('web')->{NetworkSettings}{Ports}, {},
          'a stopped container publishes nothing');

($rc, $out, $err) = $t->docker('start', 'web');
ok($rc == 0 && echo_ok($hp), 'start publishes the same fixed port again')
    or diag($err);

# -P with EXPOSE / --expose, and an exposed port left unpublished

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'all', '--expose',
                               '8080', '-P', @echo);
is($rc, 0, 'run -P --expose 8080') or diag($err);

$j = $t->inspect('all');
my $b = $j->{NetworkSettings}{Ports}{'8080/tcp'};
ok($b && @$b == 1 && $b->[0]{HostIp} eq '0.0.0.0'
   && $b->[0]{HostPort} =~ /^[1-9]\d*$/,
   '-P: a port the kernel picked, on 0.0.0.0') or diag(explain($j));
ok($b && echo_ok($b->[0]{HostPort}), 'which answers');

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'exp', '--expose',
                               '9090', '-p', '127.0.0.1::8080', @echo);
$j = $t->inspect('exp');
$b = $j->{NetworkSettings}{Ports};
ok($rc == 0 && exists $b->{'9090/tcp'} && !defined $b->{'9090/tcp'}
   && $b->{'8080/tcp'}[0]{HostIp} eq '127.0.0.1'
   && echo_ok($b->{'8080/tcp'}[0]{HostPort}),
   '-p 127.0.0.1::8080 picks a port; an unpublished exposed port is null')
    or diag(explain($b), $err);

($rc, $out) = $t->docker('ps', '--filter', 'name=exp', '--format',
                         '{{.Ports}}');
like($out, qr/9090\/tcp/, 'ps shows the exposed port without a binding');

# a range

my ($r1, $r2) = (0, 0);
for (1 .. 50) {
    $r1 = $t->free_port;
    $r2 = $r1 + 1;
    last if can_bind($r2);
}

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'range', '-p',
                               "127.0.0.1:$r1-$r2:8080-8081", @echo);
($rc, $out) = $t->docker('port', 'range');
is(join(',', sort split /\n/, $out),
   "8080/tcp -> 127.0.0.1:$r1,8081/tcp -> 127.0.0.1:$r2",
   'a range: one binding per port') or diag($err);
ok(echo_ok($r1), 'its first port answers');

# udp: datagrams relayed per client address (the server is the host's
# python3, bound in: busybox's nc has no udp)

my $u = $t->free_port;
($rc, $out, $err) = $t->docker('run', '-d', '--name', 'udp', '-p',
    "127.0.0.1:$u:5353/udp", '-v', '/usr:/usr:ro',
    '-v', '/usr/lib64:/lib64:ro',
    '-v', '/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro',
    'busybox', '/usr/bin/python3', '-c',
    'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d.upper(), a)');

sub udp_ask {
    my ($port, $msg) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Proto => 'udp')
        or return undef;
    return $t->wait_for(20, sub {
        $s->send($msg);
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        return undef unless select(my $r = $rin, undef, undef, 0.2);
        $s->recv(my $buf, 65536);
        return $buf;
    });
}

my $a1 = udp_ask($u, 'one');
my $a2 = udp_ask($u, 'two');
ok($rc == 0 && ($a1 // '') eq 'ONE' && ($a2 // '') eq 'TWO',
   'udp: each client gets its own answers') or diag($err);
is($t->inspect('udp')->{NetworkSettings}{Ports}{'5353/udp'}[0]{HostPort},
   "$u", 'udp: inspect');

# what the memory backend does not publish: a clear error at start

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'sctp', '-p',
                               '127.0.0.1::9/sctp', @echo);
ok($rc != 0 && $err =~ /publishing sctp ports is not supported/,
   'sctp: refused at start')
    or diag($err);

($rc, $out, $err) = $t->docker('cp', 'sctp:/bin/busybox',
                               $t->prefix . '/busybox.copy');
ok($rc == 0 && -s $t->prefix . '/busybox.copy',
   'docker cp of that created container still works') or diag($err);

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'many', '-p',
                               '127.0.0.1::20000-20600', @echo);
ok($rc != 0 && $err =~ /more than 512 ports/, 'too many ports: refused')
    or diag($err);

# --network host discards published ports, with dockerd's warning

($rc, $out, $err) = $t->docker('create', '--name', 'hostnet', '--network',
                               'host', '-p', '1:2', 'busybox', 'true');
like($err, qr/Published ports are discarded when using host network mode/,
     '--network host: the warning');

# bad input

($rc, $out, $err) = $t->docker('create', '-p', '70000:80', 'busybox',
                               'true');
ok($rc != 0 && $err =~ /70000/, '-p 70000:80 is refused') or diag($err);

($st, $j) = $t->api_json('POST', '/containers/create',
    { Image => 'busybox', Cmd => ['true'],
      HostConfig => { PortBindings => { '80/tcp' => 'x' } } });
ok($st == 400 && $j->{message} =~ /cannot unmarshal .*PortBindings/,
   'a malformed PortBindings: 400') or diag("$st " . explain($j));

($st, $j) = $t->api_json('POST', '/containers/create',
    { Image => 'busybox', Cmd => ['true'],
      HostConfig => { PortBindings => { '80/tcp' =>
                                        [ { HostPort => '99999' } ] } } });
is("$st $j->{message}", '400 invalid port specification: "99999"',
   'a host port out of range: 400 with dockerd\'s words');

($st, $j) = $t->api_json('POST', '/containers/create',
    { Image => 'busybox', Cmd => ['true'],
      HostConfig => { PortBindings => { 'abc/tcp' => [] } } });
is("$st $j->{message}", '400 invalid port specification: "abc/tcp"',
   'a bad port key: 400');

# the Docker SDK for Python

($rc, $out, $err) = $t->python(<<'EOF');
import docker, socket, time
c = docker.from_env().containers.run(
    'busybox', ['nc', '-ll', '-p', '8080', '-e', 'cat'], name='sdk',
    ports={'8080/tcp': None}, detach=True)
c.reload()
b = c.ports['8080/tcp'][0]
port = int(b['HostPort'])
for _ in range(200):
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        s.sendall(b'sdk bytes')
        s.shutdown(socket.SHUT_WR)
        got = b''
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        if got == b'sdk bytes':
            print('ok', b['HostIp'], c.attrs['HostConfig']['PortBindings'])
            break
    except OSError:
        pass
    time.sleep(0.1)
EOF
like($out, qr/^ok 0\.0\.0\.0 \{'8080\/tcp': \[\{'HostIp': '', 'HostPort': ''\}\]\}/,
     'SDK: ports={"8080/tcp": None} publishes a port that answers')
    or diag($out, $err);

$t->docker('rm', '-f', 'web', 'all', 'exp', 'range', 'sdk', 'taken',
           'hostnet', 'udp',
           'sctp', 'many');

# sharing the host's network (namespaces off, as without root): the
# agent relays host port to 127.0.0.1:<container port> on the host, and
# the same number on both sides needs no relay

$t->stop;
$t->write_conf('sockerless_memory_namespaces off;');
$t->run;

my ($cp, $hp3, $sp) = ($t->free_port, $t->free_port, $t->free_port);
($rc, $out, $err) = $t->docker('run', '-d', '--name', 'shared', '-p',
                               "127.0.0.1:$hp3:$cp", 'busybox', 'nc', '-ll',
                               '-p', $cp, '-e', 'cat');
ok($rc == 0 && echo_ok($hp3),
   'host network: the relay reaches the container\'s port') or diag($err);

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'same', '-p',
                               "127.0.0.1:$sp:$sp", 'busybox', 'nc', '-ll',
                               '-p', $sp, '-e', 'cat');
ok($rc == 0 && echo_ok($sp), 'host network, the same port: no relay needed')
    or diag($err);
($rc, $out) = $t->docker('port', 'same');
is($out, "$sp/tcp -> 127.0.0.1:$sp\n", 'and docker port shows it');

$t->docker('rm', '-f', 'shared', 'same');

$t->done;
