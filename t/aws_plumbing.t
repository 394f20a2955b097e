#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# The AWS directives: good values pass nginx -t, bad ones fail it with a
# clear message; credentials asked for but absent only warn (calls then
# fail with MissingCredentials), so nginx -t and -s still work.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my @bad = (
    [ 'sockerless_aws_credentials bogus;',
      qr/sockerless_aws_credentials "bogus": expected env, file, ecs, ec2/ ],
    [ 'sockerless_aws_credentials env extra;', qr/takes no parameters/ ],
    [ "sockerless_aws_credentials env;\nsockerless_aws_credentials ec2;",
      qr/"sockerless_aws_credentials" directive is duplicate/ ],
    [ 'sockerless_aws_endpoint ecs ftp://127.0.0.1:9;',
      qr/the URL must be http:\/\/host\[:port\] or https:\/\/host/ ],
    [ 'sockerless_aws_endpoint ecs http://127.0.0.1:9/path;',
      qr/the URL must be/ ],
    [ "sockerless_aws_endpoint ecs http://127.0.0.1:9;\n"
      . "sockerless_aws_endpoint ecs http://127.0.0.1:10;",
      qr/is duplicate for this service/ ],
    [ 'sockerless_aws_endpoint ecs;', qr/invalid number of arguments/ ],
    [ 'sockerless_aws_retries 11;', qr/sockerless_aws_retries must be at most 10/ ],
    [ 'sockerless_aws_retries many;', qr/invalid number/ ],
    [ 'sockerless_aws_timeout soon;', qr/invalid value/ ],
    [ 'sockerless_aws_ca_certificate /nonexistent/ca.pem;',
      qr/sockerless_aws_ca_certificate "\/nonexistent\/ca.pem" cannot be read/ ],
);

my @warn = (
    [ 'sockerless_aws_credentials env;', {},
      qr/\[warn\].*no AWS credentials: sockerless_aws_credentials env, but/ ],
    [ 'sockerless_aws_credentials file %p/nope;', {},
      qr/\[warn\].*no AWS credentials: the credentials file cannot be read/ ],
    [ 'sockerless_aws_credentials file %p/creds dev;', {},
      qr/\[warn\].*the credentials file is unusable "[^"]+": no profile "dev"/ ],
    [ 'sockerless_aws_credentials ecs;', {},
      qr/\[warn\].*neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor/ ],
);

my @good = (
    "sockerless_aws_region eu-west-1;\n"
    . "sockerless_aws_endpoint ecs http://127.0.0.1:9/;\n"
    . "sockerless_aws_endpoint logs https://logs.example:8443;\n"
    . "sockerless_aws_timeout 5s;\nsockerless_aws_retries 0;",
    'sockerless_aws_credentials file %p/creds;',
    'sockerless_aws_credentials ec2;',
    'sockerless_aws_credentials chain;',
);

plan tests => 2 * @bad + 2 * @warn + 2 * @good + 1;

# no AWS variables from the caller's environment
delete $ENV{$_} for grep { /^AWS_/ } keys %ENV;

sub nginx_t {
    my ($conf, $env) = @_;

    my $t = Sockerless::Test->new;
    my $p = $t->prefix;
    $conf =~ s/%p/$p/g;
    $t->write_file('creds', "[default]\naws_access_key_id = AKID\n"
                            . "aws_secret_access_key = secret\n");
    $t->write_conf($conf);
    local @ENV{keys %$env} = values %$env;
    my ($rc, $out, $err) = $t->command({ timeout => 30 },
                                       $t->nginx_cmd('-t'));
    my $log = $t->read_file('error.log');
    $t->cleanup;
    return ($rc, "$out$err$log");
}

for my $case (@bad) {
    my ($conf, $re) = @$case;
    my ($rc, $out) = nginx_t($conf, {});
    isnt($rc, 0, "nginx -t fails: $conf");
    like($out, $re, "with a clear message: $conf");
}

for my $case (@warn) {
    my ($conf, $env, $re) = @$case;
    my ($rc, $out) = nginx_t($conf, $env);
    is($rc, 0, "nginx -t passes: $conf") or diag($out);
    like($out, $re, "with a warning: $conf");
}

for my $conf (@good) {
    my ($rc, $out) = nginx_t($conf, { AWS_ACCESS_KEY_ID => 'AKID',
                                      AWS_SECRET_ACCESS_KEY => 'secret' });
    is($rc, 0, "nginx -t passes: $conf") or diag($out);
    unlike($out, qr/\[(warn|alert|crit|emerg)\]/, "no warning: $conf");
}

# a running nginx with the directives stops cleanly
my $t = Sockerless::Test->new;
$t->write_conf("sockerless_aws_region eu-west-1;\n"
               . "sockerless_aws_credentials ec2;")->run;
$t->stop;
unlike($t->read_file('error.log'), qr/\[(alert|crit|emerg)\]/,
       'starts and stops with the aws directives');
$t->cleanup;
