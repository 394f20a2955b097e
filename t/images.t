#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# The images docker run needs: load, list with filters, inspect, tag,
# remove (untag, in use, unknown), and no fake pull.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Socket::INET;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(32);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $j);

sub images {
    my ($rc, $out, $err) = $t->docker('images', '--format',
                                      '{{.Repository}}:{{.Tag}}', @_);
    return $rc == 0 ? join(',', sort split /\n/, $out) : "error: $err";
}

my ($s2, $img) = $t->api_json('GET', '/images/busybox/json');
ok($s2 == 200 && $img->{Id} =~ /^sha256:[0-9a-f]{64}$/ && $img->{Size} > 0
   && grep({ $_ eq 'busybox:latest' } @{ $img->{RepoTags} // [] })
   && $img->{Os} eq 'linux' && ref $img->{Config} eq 'HASH',
   'image inspect: id, size, tags, config');

($rc) = $t->docker('tag', 'busybox', 'img/one:1');
is($rc, 0, 'docker tag');
($rc) = $t->docker('tag', 'busybox', 'img/two:2');
like(images(), qr/^busybox:latest,img\/one:1,img\/two:2,/,
     'docker images lists every tag');
is(images('--filter', 'reference=img/*'), 'img/one:1,img/two:2',
   'reference filter with a pattern');
is(images('--filter', 'reference=img/one'), 'img/one:1',
   'reference filter on a repository');
is(images('--filter', 'dangling=true'), '', 'dangling=true: none');
is(images('img/two'), 'img/two:2', 'docker images REPOSITORY');

($st, $j) = $t->api_json('GET', '/images/json?filters='
                         . '%7B%22dangling%22%3A%5B%22maybe%22%5D%7D');
is($st, 400, 'dangling with a non-boolean: 400');
($st, $j) = $t->api_json('GET', '/images/json?filters='
                         . '%7B%22before%22%3A%5B%22nosuch%3A1%22%5D%7D');
ok($st == 404 && ($j->{message} // '') =~ /No such image: nosuch:1/,
   'before an unknown image: 404');

($rc, $out) = $t->docker('rmi', 'img/one:1');
ok($rc == 0 && $out =~ /^Untagged: img\/one:1$/m, 'rmi of one tag untags')
    or diag($out);

$t->docker('create', '--name', 'im-user', 'img/two:2', 'true');
($rc, $out, $err) = $t->docker('rmi', 'busybox');
ok($rc == 0 && $out =~ /^Untagged: busybox:latest$/m,
   'rmi of a tag when other tags remain') or diag("$out$err");
($st, $j) = $t->api_json('DELETE', "/images/$img->{Id}");
ok($st == 409 && ($j->{message} // '') =~ /conflict|must be forced/,
   'an image in use is not removed without force') or diag("$st");
($rc, $out, $err) = $t->docker('rmi', '-f', $img->{Id});
ok($rc == 0 && $out =~ /^Deleted: \Q$img->{Id}\E$/m,
   'rmi -f removes it') or diag("$out$err");

($st, $j) = $t->api_json('DELETE', '/images/nosuch:1');
ok($st == 404 && ($j->{message} // '') =~ /No such image: nosuch:1/,
   'rmi of an unknown image: 404');

($rc, $out, $err) = $t->docker('run', '--rm', 'nosuch/image:1', 'true');
ok($rc != 0 && $err =~ /Unable to find image 'nosuch\/image:1' locally/
   && $err !~ /Downloaded newer image/, 'no fake pull') or diag($err);

# docker import: a tar of a file system becomes a one-layer image

my $fs = $t->prefix . '/fs';
mkdir $fs; mkdir "$fs/bin";
system('cp', '/bin/busybox', "$fs/bin/busybox") == 0 or die;
symlink 'busybox', "$fs/bin/sh";
$t->write_file("$fs/hello", "imported\n");
system("tar -C $fs -cf - . | gzip > " . $t->prefix . '/fs.tgz') == 0
    or die;
my $diff = `gunzip -c $t->{prefix}/fs.tgz | sha256sum`;
$diff =~ s/\s.*//s;

($rc, $out, $err) = $t->docker('import', '--change',
    'CMD ["/bin/sh", "-c", "cat /hello"]', '--change', 'ENV A=b',
    '-m', 'from a tarball', $t->prefix . '/fs.tgz', 'imp/fs:1');
like($out, qr/^sha256:[0-9a-f]{64}$/, 'docker import: the new id')
    or diag($err);
my $iid = ($out =~ /(sha256:[0-9a-f]{64})/)[0] // '';
($rc, $out, $err) = $t->docker('run', '--rm', 'imp/fs:1');
is($out, "imported\n", 'the imported image runs its CMD') or diag($err);
my $ii = $t->inspect('imp/fs:1');
is_deeply([ $ii && $ii->{Id}, $ii && $ii->{RootFS}{Layers},
            $ii && $ii->{Comment}, $ii && $ii->{Config}{Env} ],
          [ $iid, [ "sha256:$diff" ], 'from a tarball', [ 'A=b' ] ],
          'import: the layer is the uncompressed tar, message and changes')
    or diag(explain $ii);
($rc, $out) = $t->docker('events', '--since', 0, '--until', time + 1,
                         '--filter', 'type=image', '--filter',
                         'event=import', '--format', '{{.Actor.ID}}');
is($out, "$iid\n", 'an import event');

my $evil = $t->prefix . '/evil.tar';
system('python3', '-c', 'import tarfile, io, sys
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../escaped"); i.size = 3
t.addfile(i, io.BytesIO(b"bad"))
t.close()', $evil) == 0 or die;
($st, $j) = $t->api('POST', '/images/create?fromSrc=-&repo=evil',
                    $t->read_file($evil),
                    headers => { 'Content-Type' => 'application/x-tar' });
ok($st == 400 && ! -e $t->prefix . '/data/images/escaped'
   && ! -e $t->prefix . '/data/escaped',
   'import: an entry out of the root is refused') or diag("$st $j");
($st, $j) = $t->api_json('POST', '/images/create?fromSrc=-',
                         "no archive\n");
ok($st == 400 && ($j->{message} // '') =~ /archive/i,
   'import of what is no archive: 400') or diag("$st");

# docker import of a URL: fetched, then imported the same way

my $hport = $t->free_port;
my $http = $t->spawn('python3', '-m', 'http.server', $hport, '--bind',
                     '127.0.0.1', '--directory', $t->prefix);
$t->wait_for(10, sub {
    IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $hport)
});
($rc, $out, $err) = $t->docker('import', '-m', 'from a URL',
                               "http://127.0.0.1:$hport/fs.tgz",
                               'imp/url:1');
like($out, qr/^sha256:[0-9a-f]{64}$/, 'docker import of a URL')
    or diag($err);
($rc, $out, $err) = $t->docker('run', '--rm', 'imp/url:1', '/bin/sh', '-c',
                               'cat /hello');
is($out, "imported\n", 'the image imported from a URL runs') or diag($err);
($st, $j) = $t->api_json('POST', '/images/create?fromSrc='
                         . "127.0.0.1%3A$hport%2Fnope.tgz");
ok($st == 500 && ($j->{message} // '')
       eq "failed to GET http://127.0.0.1:$hport/nope.tgz with status 404",
   'import of a URL that is not there: dockerd\'s words, http:// added')
    or diag("$st " . explain $j);
($st, $j) = $t->api_json('POST', '/images/create?fromSrc='
                         . 'http%3A%2F%2F127.0.0.1%3A1%2Fx.tar');
ok($st == 500 && ($j->{message} // '') =~ /^Get "http:\/\/127\.0\.0\.1:1\/x\.tar": /,
   'import of a URL nothing answers: the error') or diag("$st");
$http->kill;
ok(!glob($t->prefix . '/data/tmp/import-*'),
   'the fetched archives are gone with their requests');

# no builder: docker build is a clear 501, and with no build cache the
# prunes that ask for it (docker system prune) delete nothing from it

my $ctx = $t->prefix . '/ctx';
mkdir $ctx;
$t->write_file("$ctx/Dockerfile", "FROM busybox\n");
($rc, $out, $err) = $t->docker('build', '-q', $ctx);
ok($rc != 0 && $err =~ /building images is not supported by sockerless/,
   'docker build: a clear error') or diag($err);
($st, $j) = $t->api_json('POST', '/build');
is($st, 501, 'POST /build: 501');

$t->docker('create', '--name', 'im-stopped', 'img/two:2', 'true');
($rc, $out, $err) = $t->docker('system', 'prune', '-f');
ok($rc == 0 && $out =~ /^Deleted Containers:\n[0-9a-f]{64}\n/m
   && $out =~ /^Total reclaimed space: /m,
   'docker system prune: containers pruned, no build cache to fail on')
    or diag("$out$err");
($st, $j) = $t->api_json('POST', '/build/prune');
is_deeply([ $st, $j ], [ 200, { CachesDeleted => undef,
                                SpaceReclaimed => 0 } ],
          'build cache prune: nothing to delete');
($st, $j) = $t->api_json('POST', '/build/prune?filters='
                         . '%7B%22bogus%22%3A%5B%221%22%5D%7D');
ok($st == 400 && ($j->{message} // '') eq "invalid filter 'bogus'",
   'build cache prune: an unknown filter is a 400') or diag(explain $j);

$t->done;
