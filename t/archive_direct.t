#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker cp on the direct path (the agent reads the body off the client's
# socket and writes the tar into it) and what keeps the WebSocket path:
# chunked bodies in odd pieces, HTTP/1.0, a kept connection, compressed
# and broken bodies, client_max_body_size, Expect, and clients that go
# away in the middle of a copy in either direction.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Socket::INET;
use IO::Select;
use Archive::Tar;
use Digest::MD5 qw(md5_hex);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(time sleep);
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(20);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $st2, $h, $b, $s);

$t->docker('run', '-d', '--name', 'cpd', 'busybox', 'sh', '-c',
    'mkdir -p /tmp/in && exec sleep 300');
my $id = $t->inspect('cpd')->{Id};
my @agents = $t->agent_pids($id);

sub tar_of {
    my (%files) = @_;

    my $tar = Archive::Tar->new;
    $tar->add_data($_, $files{$_}) for sort keys %files;
    return $tar->write;
}

sub untar {
    my ($bytes) = @_;

    my $tar = Archive::Tar->new;
    open my $fh, '<', \$bytes or die;
    $tar->read($fh);
    return $tar;
}

sub conn {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $t->port, Proto => 'tcp',
                                  Timeout => 5) or die "connect: $!\n";
    binmode $s;
    return $s;
}

sub put_all {
    my ($s, $data) = @_;

    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, 65536, $off);
        return 0 unless defined $n;
        $off += $n;
    }
    return 1;
}

# reads until the answer is complete (or the peer closes): status,
# headers, body (dechunked)
sub answer {
    my ($s, $method) = @_;

    my ($resp, $hlen, $status, $hdrs) = ('');
    my $sel = IO::Select->new($s);
    my $deadline = time + 30;

    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread($s, $resp, 65536, length $resp);
        last unless $n;
        $resp =~ s{^HTTP/1\.1 100 Continue\r\n\r\n}{};
        if (!defined $hlen && $resp =~ /\r\n\r\n/) {
            $hlen = $+[0];
        }
        next unless defined $hlen;
        ($status, $hdrs) = Sockerless::Test::parse_head(substr $resp, 0,
                                                        $hlen);
        last if Sockerless::Test::response_complete($method // 'PUT',
                                      $status, $hdrs, substr($resp, $hlen));
    }

    return (0, {}, $resp) unless defined $hlen;

    my $body = substr $resp, $hlen;
    $body = Sockerless::Test::dechunk($body)
        if lc($hdrs->{'transfer-encoding'} // '') eq 'chunked';
    return ($status, $hdrs, $body);
}

# a chunked PUT whose chunks are the pieces given
sub put_chunked {
    my ($path, @pieces) = @_;

    my $s = conn();
    my $req = "PUT /containers/cpd/archive?path=$path HTTP/1.1\r\n"
              . "Host: localhost\r\nTransfer-Encoding: chunked\r\n"
              . "Content-Type: application/x-tar\r\n\r\n";
    $req .= sprintf("%x;piece\r\n%s\r\n", length $_, $_) for @pieces;
    $req .= "0\r\nX-Trailer: 1\r\n\r\n";
    put_all($s, $req);
    my @r = answer($s);
    close $s;
    return @r;
}

# how the agent served the last copy: 'direct', 'ws' or '' (none yet)
sub last_cp {
    my $log = $t->read_file("$t->{data}/containers/$id/agent.log") // '';
    my @cp = $log =~ /docker cp [^\n]*/g;
    return '' unless @cp;
    return $cp[-1] =~ /on the client's socket/ ? 'direct' : 'ws';
}

sub split_odd {
    my ($data) = @_;

    my @sizes = (1, 7, 100, 3, 511, 2, 4096);
    my @pieces;
    while (length $data) {
        my $n = shift(@sizes) // 65536;
        push @pieces, substr($data, 0, $n, '');
    }
    return @pieces;
}

sub agents_settle {
    my $deadline = time + 10;
    while (time < $deadline) {
        my @now = $t->agent_pids($id);
        return 1 if @now == @agents;
        sleep 0.1;
    }
    return 0;
}

# a chunked body in odd pieces, with extensions and a trailer

my $data = join '', map { chr(($_ * 7) % 251) } 1 .. 100000;
($st, $h, $b) = put_chunked('/tmp/in',
                            split_odd(tar_of('odd/f' => $data,
                                             'odd/g' => "g\n")));
($rc, $out) = $t->docker('exec', 'cpd', 'sh', '-c',
                         'md5sum /tmp/in/odd/f; cat /tmp/in/odd/g');
my $md5 = md5_hex($data);
ok($st == 200 && last_cp() eq 'direct' && $out =~ /^\Q$md5\E /
   && $out =~ /\ng\n\z/, 'PUT: a chunked body in odd pieces, direct')
    or diag("$st $b $out " . last_cp());

# a body whose first block comes late and in bits: nginx waits for it
# (and reads it into a larger buffer) before it decides

sub put_slowly {
    my ($path, $data, $ctr) = @_;

    $ctr //= 'cpd';
    my $s = conn();
    put_all($s, "PUT /containers/$ctr/archive?path=$path HTTP/1.1\r\n"
                . "Host: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
    my @pieces = grep { length } map { substr($data, 0, $_, '') }
                                 100, 300, length $data;
    for my $piece (@pieces) {
        sleep 0.2;
        put_all($s, sprintf("%x\r\n%s\r\n", length $piece, $piece));
    }
    put_all($s, "0\r\n\r\n");
    my @r = answer($s);
    close $s;
    return @r;
}

($st, $h, $b) = put_slowly('/tmp/in', tar_of('slow/f' => "slow\n"));
my $slow = last_cp();
open my $sgz, '|-', "gzip -c > $t->{prefix}/slow.gz" or die;
print $sgz tar_of('slow/gz' => "slow gz\n");
close $sgz;
($st2) = put_slowly('/tmp/in', $t->read_file('slow.gz'));
($rc, $out) = $t->docker('exec', 'cpd', 'sh', '-c',
                         'cat /tmp/in/slow/f /tmp/in/slow/gz');
ok($st == 200 && $slow eq 'direct' && $st2 == 200 && last_cp() eq 'ws'
   && $out eq "slow\nslow gz\n",
   'PUT: a first block that comes late: a tar direct, gzip not')
    or diag("$st $slow $st2 " . last_cp() . " $out");

# an early answer once the first block came: the rest of the body is not
# looked at again (the error log's check would show a second answer)

($st, $h, $b) = put_slowly('/tmp/in', tar_of('slow/f' => "x" x 5000),
                           'no-such-ctr');
is($st, 404, 'PUT to an unknown container, its body late: one 404');

# the escape checks hold on this path too

($st, $h, $b) = put_chunked('/tmp/in', split_odd(tar_of('../../esc' => 'x')));
($rc, $out) = $t->docker('exec', 'cpd', 'sh', '-c', 'ls /esc /tmp/esc 2>&1');
ok($st == 400 && $b =~ /outside/ && $out =~ /No such file.*No such file/s,
   'PUT chunked: "../" refused, nothing written') or diag("$st $b $out");

# compressed bodies are libarchive's: gzip with a length, xz chunked

my $plain = tar_of('z/gz' => "gz\n");
open my $gz, '|-', "gzip -c > $t->{prefix}/b.gz" or die;
print $gz $plain;
close $gz;
($st, $h, $b) = $t->api('PUT', '/containers/cpd/archive?path=/tmp/in',
                        $t->read_file('b.gz'),
                        headers => { 'Content-Type' => 'application/x-tar' });
ok($st == 200 && last_cp() eq 'ws', 'PUT: a gzip body with a length')
    or diag($b);

$plain = tar_of('z/xz' => "xz\n");
open my $xz, '|-', "xz -c > $t->{prefix}/b.xz" or die;
print $xz $plain;
close $xz;
($st, $h, $b) = put_chunked('/tmp/in', split_odd($t->read_file('b.xz')));
($rc, $out) = $t->docker('exec', 'cpd', 'sh', '-c',
                         'cat /tmp/in/z/gz /tmp/in/z/xz');
ok($st == 200 && $out eq "gz\nxz\n", 'PUT: an xz body, chunked')
    or diag("$st $b $out");

($st, $h, $b) = put_chunked('/tmp/in', 'this is not a tar' x 100);
is($st, 400, 'PUT: a body that is no tar: 400') or diag($b);

# an empty body is an empty tar

($st, $h, $b) = $t->api('PUT', '/containers/cpd/archive?path=/tmp/in', '',
                        headers => { 'Content-Type' => 'application/x-tar' });
is($st, 200, 'PUT: an empty body') or diag($b);

# client_max_body_size 1m: a chunked body over it, and a length over it

$t->{max_body} = '1m';
$t->write_conf->reload;

($st, $h, $b) = put_chunked('/tmp/in',
                            split_odd(tar_of('big/f' => 'x' x 2_000_000)));
($rc, $out) = $t->docker('exec', 'cpd', 'sh', '-c',
                         'ls -l /tmp/in/big/f 2>&1');
ok($st == 413, 'PUT chunked: over client_max_body_size: 413')
    or diag("$st $b $out");

($st, $h, $b) = $t->api('PUT', '/containers/cpd/archive?path=/tmp/in',
                        tar_of('big/g' => 'x' x 2_000_000),
                        headers => { 'Content-Type' => 'application/x-tar' });
is($st, 413, 'PUT with a length over client_max_body_size: 413');

$t->{max_body} = 0;
$t->write_conf->reload;

# Expect: the WebSocket path, both ways

my $ws = tar_of('ws/f' => "ws\n");
$s = conn();
put_all($s, "PUT /containers/cpd/archive?path=/tmp/in HTTP/1.1\r\n"
            . "Host: localhost\r\nExpect: 100-continue\r\n"
            . "Content-Length: " . length($ws) . "\r\n\r\n");
IO::Select->new($s)->can_read(5);
put_all($s, $ws);
($st) = answer($s);
close $s;
my $how = last_cp();

$s = conn();
put_all($s, "GET /containers/cpd/archive?path=/tmp/in/ws HTTP/1.1\r\n"
            . "Host: localhost\r\nExpect: 100-continue\r\n\r\n");
($st2, $h, $b) = answer($s, 'GET');
close $s;
my $tar = untar($b);
ok($st == 200 && $st2 == 200 && ($tar->get_content('ws/f') // '') eq "ws\n"
   && $h->{'x-docker-container-path-stat'} && $how eq 'ws'
   && last_cp() eq 'ws', 'PUT and GET over the WebSocket (Expect)')
    or diag("$st $st2 $how " . last_cp());

# GET: HTTP/1.0 (no chunks, the end is the close) and a kept connection

$s = conn();
put_all($s, "GET /containers/cpd/archive?path=/tmp/in/odd HTTP/1.0\r\n\r\n");
($st, $h, $b) = answer($s, 'GET');
close $s;
$tar = untar($b);
ok($st == 200 && !$h->{'transfer-encoding'} && last_cp() eq 'direct'
   && ($tar->get_content('odd/f') // '') eq $data
   && ($tar->get_content('odd/g') // '') eq "g\n",
   'GET: HTTP/1.0, the tar up to the close') or diag("$st " . length $b);

$s = conn();
put_all($s, "GET /containers/cpd/archive?path=/tmp/in/odd/g HTTP/1.1\r\n"
            . "Host: localhost\r\n\r\n");
($st, $h, $b) = answer($s, 'GET');
my ($h2, $b2) = ({}, '');
$st2 = 0;
if (put_all($s, "GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
    ($st2, $h2, $b2) = answer($s, 'GET');
}
close $s;
$tar = untar($b);
my $pst = eval { Sockerless::Test::json_decode(
              decode_base64($h->{'x-docker-container-path-stat'} // '')) }
          // {};
ok($st == 200 && lc($h->{'transfer-encoding'} // '') eq 'chunked'
   && ($pst->{name} // '') eq 'g' && ($pst->{size} // 0) == 2
   && ($tar->get_content('g') // '') eq "g\n" && $st2 == 200
   && $b2 eq 'OK', 'GET: chunked, the stat header, the connection kept')
    or diag("$st $st2 $b2");

# clients that go away in the middle of a copy

system("head -c 67108864 /dev/urandom > $t->{prefix}/big");
($rc, $out, $err) = $t->docker('cp', "$t->{prefix}/big", 'cpd:/tmp/big');
is($rc, 0, 'cp in: 64 MiB') or diag("$out$err");

$s = conn();
put_all($s, "GET /containers/cpd/archive?path=/tmp/big HTTP/1.1\r\n"
            . "Host: localhost\r\n\r\n");
my $got = '';
while (length $got < 200000) {
    last unless IO::Select->new($s)->can_read(10);
    last unless sysread($s, $got, 65536, length $got);
}
close $s;
ok(length $got >= 200000 && agents_settle(),
   'GET: a client that goes away mid-copy: the copy ends');

my $big = tar_of('gone/f' => 'y' x 100000);
$s = conn();
put_all($s, "PUT /containers/cpd/archive?path=/tmp/in HTTP/1.1\r\n"
            . "Host: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            . sprintf("%x\r\n%s\r\n", 60000, substr($big, 0, 60000)));
sleep 0.5;
close $s;
ok(agents_settle(), 'PUT: a client that goes away mid-body: the copy ends');

$s = conn();
put_all($s, "PUT /containers/cpd/archive?path=/tmp/in HTTP/1.1\r\n"
            . "Host: localhost\r\nContent-Length: " . length($big)
            . "\r\n\r\n" . substr($big, 0, 30000));
sleep 0.5;
close $s;
ok(agents_settle(), 'PUT with a length: a client that goes away: it ends');

($rc, $out) = $t->docker('exec', 'cpd', 'echo', 'alive');
is($out, "alive\n", 'the container still works');

($rc, $out, $err) = $t->docker('cp', 'cpd:/tmp/big', "$t->{prefix}/big2");
ok($rc == 0 && `cmp $t->{prefix}/big $t->{prefix}/big2 2>&1 && echo same`
               =~ /same/, 'cp out after them: 64 MiB intact')
    or diag("$out$err");

$t->docker('rm', '-f', 'cpd');
