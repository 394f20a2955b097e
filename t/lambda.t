#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# sockerless_backend lambda against the AWS simulator (t/sim/aws.py): a
# container is an image function, a start one invocation whose agent dials
# back, so the docker CLI and the SDK see run, exit codes, logs, exec,
# attach, kill and rm; what a function cannot be is a clear error. The
# function's configuration and log group are checked with the AWS CLI.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;

my $sim = $t->start_aws_sim
    or plan(skip_all => "the AWS simulator did not start: "
                        . ($t->{aws_sim_err} // ''));

$t->plan(37);

$ENV{AWS_ACCESS_KEY_ID} = 'AKIDSOCKERLESSTEST';
$ENV{AWS_SECRET_ACCESS_KEY} = 'sockerless-test-secret';
delete $ENV{AWS_SESSION_TOKEN};

my $conf = <<"EOF";
sockerless_backend lambda;
sockerless_aws_region us-east-1;
sockerless_aws_endpoint lambda $sim;
sockerless_aws_endpoint logs $sim;
sockerless_aws_credentials env;
sockerless_aws_timeout 10s;
sockerless_lambda_role arn:aws:iam::123456789012:role/sockerless-test;
sockerless_lambda_callback http://127.0.0.1:$t->{port};
sockerless_lambda_timeout 60s;
sockerless_lambda_poll_interval 200ms;
sockerless_lambda_start_timeout 30s;
EOF
chomp $conf;

$t->backend($conf)->write_conf->run;

my $img = '123456789012.dkr.ecr.us-east-1.amazonaws.com/busybox:latest';

my ($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'hello');
is($rc, 0, 'run --rm echo: exit 0') or diag($err);
is($out, "hello\n", 'run --rm echo: the output');

($rc) = $t->docker('run', '--rm', $img, 'sh', '-c', 'exit 3');
is($rc, 3, 'a function that fails: exit code 3 reaches the CLI');

($rc, $out, $err) = $t->docker('run', '--rm', $img, 'sh', '-c',
                               'echo out; echo err >&2');
ok($rc == 0 && $out eq "out\n" && $err eq "err\n",
   'stdout and stderr kept apart') or diag("out '$out' err '$err'");

# the function in the cloud

($rc, $out, $err) = $t->docker('create', '--name', 'fn', '--memory', '1g',
                               '--label', 'team=green', '-e', 'WHO=lambda',
                               $img, 'sh', '-c', 'echo hi from $WHO');
is($rc, 0, 'create') or diag($err);
chomp(my $id = $out);
my $name = 'sockerless-' . substr($id, 0, 12);

my $fn = aws_json('lambda', 'get-function', '--function-name', $name);
my $cf = $fn ? $fn->{Configuration} : {};
ok($cf->{PackageType} eq 'Image' && $cf->{MemorySize} == 1024
   && $cf->{Timeout} == 60, 'an image function, 1024 MB, 60 s')
    or diag(explain($cf));
is_deeply($cf->{ImageConfigResponse}{ImageConfig}{EntryPoint},
          [ '/sockerless/agent', 'reverse', '--' ],
          'the agent wraps the command');
is($cf->{Environment}{Variables}{WHO}, 'lambda', 'the environment');
is(($fn->{Tags} // {})->{'sockerless:label:team'}, 'green',
   'labels become tags');

($rc, $out, $err) = $t->docker('start', '-a', 'fn');
ok($rc == 0 && $out eq "hi from lambda\n", 'start -a')
    or diag("rc $rc out '$out' err '$err'");

my $logs = $t->wait_for(10, sub {
    my $j = aws_json('logs', 'filter-log-events', '--log-group-name',
                     "/aws/lambda/$name");
    return $j && grep { $_->{message} =~ /hi from lambda/ }
                 @{ $j->{events} // [] };
});
ok($logs, 'the output is in /aws/lambda/<name> too');

($rc, $out) = $t->docker('ps', '-a', '--filter', 'label=team=green',
                         '--format', '{{.Names}}');
is($out, "fn\n", 'ps --filter label');

# detached with logs -f, exec, attach, kill

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'ticker', $img, 'sh',
                               '-c', 'for i in 1 2 3; do echo tick $i; '
                                     . 'sleep 0.2; done');
($rc, $out, $err) = $t->docker('logs', '-f', 'ticker');
is($out, "tick 1\ntick 2\ntick 3\n", 'run -d, logs -f to the end');

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'sleeper', $img,
                               'sleep', '1000');
my $in = $t->write_file('in.txt', "to the function\n");
($rc, $out, $err) = $t->docker_in($in, 'exec', '-i', 'sleeper', 'cat');
is($out, "to the function\n", 'exec -i while the invocation lives')
    or diag($err);

($rc) = $t->docker('exec', 'sleeper', 'sh', '-c', 'exit 5');
is($rc, 5, 'exec: exit code 5');

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'stoppable', $img,
                               'sleep', '1000');
($rc, $out, $err) = $t->docker('stop', '-t', '5', 'stoppable');
is($rc, 0, 'stop') or diag($err);
is($t->inspect('stoppable')->{State}{ExitCode}, 143,
   'stop: SIGTERM reached the process in the invocation (143)');

($rc, $out, $err) = $t->docker('kill', 'sleeper');
is($rc, 0, 'kill') or diag($err);
my $state = $t->wait_for(20, sub {
    my $j = $t->inspect('sleeper');
    return $j && !$j->{State}{Running} ? $j->{State} : undef;
});
is($state && $state->{ExitCode}, 137, 'kill: exit 137');

$in = $t->write_file('in2.txt', "through attach\n");
($rc, $out, $err) = $t->docker_in($in, 'run', '--rm', '-i', $img, 'cat');
ok($rc == 0 && $out eq "through attach\n", 'run -i: stdin through attach')
    or diag("rc $rc out '$out' err '$err'");

# what a function cannot be

($rc, $out, $err) = $t->docker('run', '--rm', '-u', 'nobody', $img, 'id');
ok($rc == 125 && $err =~ /cannot set a user/, '-u: a clear error')
    or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', '-v', 'data:/data', $img,
                               'true');
ok($rc == 125 && $err =~ /cannot mount binds or volumes/,
   '-v: a clear error') or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', '--tmpfs', '/run', $img,
                               'true');
ok($rc == 125 && $err =~ /cannot mount a tmpfs \(--tmpfs\)/,
   '--tmpfs: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', '--read-only', $img, 'true');
ok($rc == 125 && $err =~ /the Lambda backend cannot make the root file /,
   '--read-only: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', '--cap-add', 'NET_ADMIN',
                               $img, 'true');
ok($rc == 125 && $err =~ /cannot change capabilities/,
   '--cap-add: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '--cpus', '1', $img, 'true');
ok($rc != 0 && $err =~ /the Lambda backend cannot apply --cpus: its tasks/
   && $err =~ /are sized by memory \(-m\) alone/,
   '--cpus: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '--add-host', 'a:10.0.0.1', $img,
                               'true');
ok($rc != 0 && $err =~ /the Lambda backend cannot add hosts/,
   '--add-host: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'nopause', $img,
                               'sleep', '1000');
($rc, $out, $err) = $t->docker('pause', 'nopause');
ok($rc != 0 && $err =~ /not supported/, 'pause: a clear error')
    or diag($err);

# rm -f: the function goes

my $np = $t->inspect('nopause');
($rc, $out, $err) = $t->docker('rm', '-f', 'nopause');
is($rc, 0, 'rm -f') or diag($err);
my $gone = $t->wait_for(20, sub {
    my ($rc) = $t->command({ timeout => 60, env => aws_env() }, 'aws',
        '--endpoint-url', $sim, 'lambda', 'get-function', '--function-name',
        'sockerless-' . substr($np->{Id}, 0, 12));
    return $rc != 0;
});
ok($gone, 'rm -f: DeleteFunction');

# the SDK

($rc, $out, $err) = $t->python(<<"EOF");
import docker
c = docker.from_env()
print(c.containers.run('$img', ['echo', 'sdk'], remove=True).decode(),
      end='')
EOF
is($out, "sdk\n", 'Docker SDK for Python: containers.run') or diag($err);

# throttling absorbed; an invocation that cannot start

$t->aws_sim_admin('POST', '/_sim/faults', { service => 'lambda',
    action => 'CreateFunction', kind => 'throttle', count => 2 });
($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'throttled');
ok($rc == 0 && $out eq "throttled\n", 'CreateFunction throttled twice: run')
    or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', $img, 'nosuchcmd');
ok($rc == 127 && $err =~ /executable file not found/,
   'a command that is not there: 127 and runc\'s words') or diag($err);

# a fresh gateway (an empty data directory) finds its functions again

$t->stop;
$t->data_dir("$t->{prefix}/data2")->write_conf->run;

my $found = $t->wait_for(30, sub {
    my ($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}');
    return $out =~ /^fn$/m;
});
ok($found, 'a fresh gateway lists the containers it made, from tags');

($rc, $out, $err) = $t->docker('start', '-a', 'fn');
ok($rc == 0 && $out eq "hi from lambda\n",
   'a rebuilt one starts again: its token and command came back')
    or diag("rc $rc out '$out' err '$err'");

# a wrong secret and an unreachable cloud: Docker errors, no hang

$t->stop;
$ENV{AWS_SECRET_ACCESS_KEY} = 'a-wrong-secret';
$t->run;
($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'x');
ok($rc == 125 && $err =~ /InvalidSignatureException/,
   'a wrong secret: InvalidSignatureException in a Docker error')
    or diag($err);
$ENV{AWS_SECRET_ACCESS_KEY} = 'sockerless-test-secret';

$t->stop;
$t->run;
$t->{aws_sim}{proc}->kill;
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'run', '--rm', $img,
                               'echo', 'x');
ok($rc == 125 && $err =~ /Error response from daemon: Lambda \w+ failed/,
   'the cloud unreachable: a clear error') or diag("rc $rc err $err");

$t->done;


sub aws_env {
    return { AWS_ACCESS_KEY_ID => 'AKIDSOCKERLESSTEST',
             AWS_SECRET_ACCESS_KEY => 'sockerless-test-secret',
             AWS_DEFAULT_REGION => 'us-east-1',
             AWS_CONFIG_FILE => '/dev/null',
             AWS_SHARED_CREDENTIALS_FILE => '/dev/null' };
}


sub aws_json {
    my (@args) = @_;
    my ($rc, $out, $err) = $t->command({ timeout => 60, env => aws_env() },
        'aws', '--endpoint-url', $sim, '--output', 'json', @args);
    diag("aws @args: $err") if $rc != 0;
    return $rc == 0 ? Sockerless::Test::json_decode($out) : undef;
}
