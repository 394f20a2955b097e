#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# sockerless_backend ecs against the AWS simulator (t/sim/aws.py), which
# checks every SigV4 signature and runs each task for real: the agent in
# reverse mode dials back, and the docker CLI and the SDK see run, exit
# codes, logs, exec, attach, stop, kill and rm as with dockerd. The cloud's
# own record (task definitions, tasks, CloudWatch) is checked as well.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;

my $sim = $t->start_aws_sim(stop_timeout => 2)
    or plan(skip_all => "the AWS simulator did not start: "
                        . ($t->{aws_sim_err} // ''));

$t->plan(60);

$ENV{AWS_ACCESS_KEY_ID} = 'AKIDSOCKERLESSTEST';
$ENV{AWS_SECRET_ACCESS_KEY} = 'sockerless-test-secret';
delete $ENV{AWS_SESSION_TOKEN};

my $conf = <<"EOF";
sockerless_backend ecs;
sockerless_aws_region us-east-1;
sockerless_aws_endpoint ecs $sim;
sockerless_aws_endpoint logs $sim;
sockerless_aws_credentials env;
sockerless_aws_timeout 10s;
sockerless_ecs_subnets subnet-0abc;
sockerless_ecs_security_groups sg-0abc;
sockerless_ecs_callback http://127.0.0.1:$t->{port};
sockerless_ecs_poll_interval 1s;
sockerless_ecs_start_timeout 30s;
EOF
chomp $conf;

$t->backend($conf)->write_conf->run;

my $img = 'public.ecr.aws/docker/library/busybox:latest';

my ($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'hello');
is($rc, 0, 'run --rm echo: exit 0') or diag($err);
is($out, "hello\n", 'run --rm echo: the output');

($rc) = $t->docker('run', '--rm', $img, 'sh', '-c', 'exit 3');
is($rc, 3, 'exit code 3 reaches the CLI');

($rc, $out, $err) = $t->docker('run', '--rm', $img, 'sh', '-c',
                               'echo out; echo err >&2');
ok($rc == 0 && $out eq "out\n" && $err eq "err\n",
   'stdout and stderr kept apart') or diag("out '$out' err '$err'");

# the cloud's side of one run: a definition, a task, the output in CloudWatch

($rc, $out, $err) = $t->docker('create', '--name', 'sized', '--cpus', '2',
                               '--memory', '5g', '--label', 'team=blue',
                               '-e', 'GREETING=hi', '-w', '/tmp', $img,
                               'sh', '-c', 'echo $GREETING from $(pwd)');
is($rc, 0, 'create with limits, label, env, workdir') or diag($err);
chomp(my $id = $out);

my $desc = aws_json('ecs', 'describe-task-definition', '--task-definition',
                    'sockerless-' . substr($id, 0, 12), '--include', 'TAGS');
my $def = $desc && $desc->{taskDefinition};
ok($def, 'a task definition sockerless-<id12>');
ok($def && $def->{cpu} eq '2048' && $def->{memory} eq '5120',
   '--cpus 2 --memory 5g: the smallest Fargate size that holds them')
    or diag(explain($def));

my $cd = $def ? $def->{containerDefinitions}[0] : {};
is_deeply([ @{ $cd->{entryPoint} // [] } ],
          [ '/sockerless/agent', 'reverse', '--' ],
          'the agent wraps the command');
ok((grep { $_->{name} eq 'GREETING' && $_->{value} eq 'hi' }
    @{ $cd->{environment} // [] })
   && !(grep { $_->{name} =~ /TOKEN/ } @{ $cd->{environment} // [] }),
   'environment in the definition, and no token there');
ok((grep { $_->{key} eq 'sockerless:label:team' && $_->{value} eq 'blue' }
    @{ $desc->{tags} // [] }), 'labels become tags');

($rc, $out, $err) = $t->docker('start', '-a', 'sized');
ok($rc == 0 && $out eq "hi from /tmp\n", 'start -a: env and workdir')
    or diag("rc $rc out '$out' err '$err'");

my $logs = $t->wait_for(10, sub {
    my $j = aws_json('logs', 'filter-log-events', '--log-group-name',
                     '/sockerless', '--log-stream-name-prefix',
                     substr($id, 0, 12) . '/main/');
    return $j && grep { $_->{message} =~ /hi from \/tmp/ }
                 @{ $j->{events} // [] };
});
ok($logs, 'the output is in CloudWatch Logs too');

($rc, $out) = $t->docker('ps', '-a', '--filter', 'label=team=blue',
                         '--format', '{{.Names}}');
is($out, "sized\n", 'ps --filter label');

# detached, with logs -f

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'ticker', $img, 'sh',
                               '-c', 'for i in 1 2 3; do echo tick $i; '
                                     . 'sleep 0.2; done');
is($rc, 0, 'run -d') or diag($err);

($rc, $out, $err) = $t->docker('logs', '-f', 'ticker');
is($out, "tick 1\ntick 2\ntick 3\n", 'logs -f follows to the exit');

my $state = $t->wait_for(20, sub {
    my $j = $t->inspect('ticker');
    return $j && !$j->{State}{Running} ? $j->{State} : undef;
});
ok($state && $state->{ExitCode} == 0 && $state->{Status} eq 'exited',
   'inspect: exited 0') or diag(explain($state));

# exec

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'sleeper', $img,
                               'sleep', '1000');
is($rc, 0, 'run -d sleep') or diag($err);

my $in = $t->write_file('in.txt', "line one\nline two\n");
($rc, $out, $err) = $t->docker_in($in, 'exec', '-i', 'sleeper', 'cat');
is($out, "line one\nline two\n", 'exec -i: stdin in, stdout out')
    or diag($err);

($rc) = $t->docker('exec', 'sleeper', 'sh', '-c', 'exit 7');
is($rc, 7, 'exec: exit code 7');

($rc, $out) = $t->docker('exec', 'sleeper', 'env');
ok($rc == 0 && $out !~ /SOCKERLESS_/, 'no SOCKERLESS_ variable in an exec')
    or diag($out);

# attach: stdin and stdout of a run that is not detached

$in = $t->write_file('in2.txt', "through attach\n");
($rc, $out, $err) = $t->docker_in($in, 'run', '--rm', '-i', $img, 'cat');
ok($rc == 0 && $out eq "through attach\n", 'run -i: stdin through attach')
    or diag("rc $rc out '$out' err '$err'");

# stop, kill, rm -f

($rc, $out, $err) = $t->docker('stop', '-t', '5', 'sleeper');
is($rc, 0, 'stop') or diag($err);
my $j = $t->inspect('sleeper');
is($j->{State}{ExitCode}, 143, 'stop: SIGTERM reached the process (143)');

($rc) = $t->docker('run', '-d', '--name', 'victim', $img, 'sleep', '1000');
($rc, $out, $err) = $t->docker('kill', 'victim');
is($rc, 0, 'kill') or diag($err);
$state = $t->wait_for(20, sub {
    my $j = $t->inspect('victim');
    return $j && !$j->{State}{Running} ? $j->{State} : undef;
});
is($state && $state->{ExitCode}, 137, 'kill: exit 137');

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'doomed', $img,
                               'sleep', '1000');
is($rc, 0, 'run -d doomed') or diag($err);
my $doomed = $t->inspect('doomed');
($rc, $out, $err) = $t->docker('rm', '-f', 'doomed');
is($rc, 0, 'rm -f of a running container') or diag($err);

my $id12 = substr($doomed->{Id}, 0, 12);
my $gone = $t->wait_for(20, sub {
    my $l = aws_json('ecs', 'list-tasks', '--started-by', "sockerless-$id12",
                     '--desired-status', 'STOPPED');
    my $arn = $l && $l->{taskArns}[0];
    diag(explain($l)) unless $arn;
    return unless $arn;
    my $d = aws_json('ecs', 'describe-tasks', '--tasks', $arn);
    my $td = aws_json('ecs', 'describe-task-definition', '--task-definition',
                      $d->{tasks}[0]{taskDefinitionArn});
    return $d->{tasks}[0]{lastStatus} eq 'STOPPED'
           && $td->{taskDefinition}{status} eq 'INACTIVE';
});
ok($gone, 'rm -f: the task stopped and the definition deregistered');

# restart runs a new task; what a task cannot have is refused

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'again', $img, 'sh',
                               '-c', 'echo run; sleep 1000');
my $first = $t->inspect('again');
($rc, $out, $err) = $t->docker('restart', '-t', '1', 'again');
is($rc, 0, 'restart') or diag($err);
my $second = $t->inspect('again');
ok($second->{State}{Running} && $second->{State}{StartedAt}
   ne $first->{State}{StartedAt}, 'restart: running again, a new start');
my $twice = $t->wait_for(20, sub {
    my ($rc, $out) = $t->docker('logs', 'again');
    return $out eq "run\nrun\n";
});
ok($twice, 'restart: a second task ran the command');
$t->docker('rm', '-f', 'again');

($rc, $out, $err) = $t->docker('run', '--rm', '-v', '/tmp:/data', $img,
                               'true');
ok($rc == 125 && $err =~ /cannot mount binds or volumes/,
   'a bind: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '-v', '/data', $img, 'true');
ok($rc != 0 && $err =~ /cannot mount binds or volumes/,
   'an anonymous volume: a clear error') or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', '--tmpfs', '/run', $img,
                               'true');
ok($rc == 125 && $err =~ /cannot mount a tmpfs \(--tmpfs\)/,
   '--tmpfs: a clear error, not dropped') or diag($err);

$t->docker('network', 'create', 'n1');
($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'n1', $img,
                               'true');
ok($rc == 125 && $err =~ /cannot attach containers to Docker networks/,
   'a Docker network: a clear error, not a made-up address') or diag($err);

($rc, $out, $err) = $t->docker('create', '--health-cmd', 'true', $img,
                               'true');
ok($rc != 0 && $err =~ /cannot run health checks yet/,
   'a health check: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('run', '--rm', '--privileged', $img, 'true');
ok($rc == 125 && $err =~ /the ECS backend cannot run a privileged container/,
   '--privileged: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '--sysctl', 'net.ipv4.ip_forward=1',
                               $img, 'true');
ok($rc != 0 && $err =~ /cannot set sysctls \(--sysctl\)/,
   '--sysctl: a clear error, not dropped') or diag($err);

# what Fargate has: linuxParameters, readonlyRootFilesystem, ulimits

($rc, $out, $err) = $t->docker('create', '--read-only', '--init',
    '--cap-add', 'sys_ptrace', '--cap-drop', 'ALL', '--ulimit',
    'nofile=100:200', $img, 'true');
my $lp = $rc == 0 && aws_json('ecs', 'describe-task-definition',
    '--task-definition', 'sockerless-' . substr($out, 0, 12));
my $cdef = $lp && $lp->{taskDefinition}{containerDefinitions}[0];
ok($cdef && $cdef->{readonlyRootFilesystem}
   && $cdef->{linuxParameters}{initProcessEnabled}
   && "@{$cdef->{linuxParameters}{capabilities}{add}}" eq 'SYS_PTRACE'
   && "@{$cdef->{linuxParameters}{capabilities}{drop}}" eq 'ALL'
   && $cdef->{ulimits}[0]{name} eq 'nofile'
   && $cdef->{ulimits}[0]{softLimit} == 100
   && $cdef->{ulimits}[0]{hardLimit} == 200,
   '--read-only, --init, --cap-add, --cap-drop, --ulimit: in the task '
   . 'definition') or diag("$err " . explain($cdef));

($rc, $out, $err) = $t->docker('create', '--add-host', 'a:10.0.0.1', $img,
                               'true');
ok($rc != 0 && $err =~ /the ECS backend cannot add hosts \(--add-host\)/,
   '--add-host: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '--dns', '10.0.0.2', $img, 'true');
ok($rc != 0 && $err =~ /cannot set DNS servers, search domains or options/,
   '--dns: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '--pids-limit', '10', $img,
                               'true');
ok($rc != 0 && $err =~ /the ECS backend cannot apply --pids-limit: its/
   && $err =~ /tasks are sized by CPU \(--cpus\) and memory \(-m\) alone/,
   '--pids-limit: a clear error, not dropped') or diag($err);

($rc, $out, $err) = $t->docker('create', '--name', 'upd', $img, 'true');
($rc, $out, $err) = $t->docker('update', '-m', '1g', '--memory-swap', '2g',
                               'upd');
ok($rc != 0 && $err =~ /the ecs backend cannot update a container's res/,
   'update -m: refused') or diag($err);

($rc, $out, $err) = $t->docker('update', '--restart', 'on-failure:2', 'upd');
ok($rc == 0 && $t->inspect('upd')->{HostConfig}{RestartPolicy}{Name}
   eq 'on-failure', 'update --restart: recorded') or diag($err);
$t->docker('rm', '-f', 'upd');

# the SDK

($rc, $out, $err) = $t->python(<<"EOF");
import docker
c = docker.from_env()
print(c.containers.run('$img', ['echo', 'from the sdk'], remove=True)
      .decode(), end='')
EOF
is($out, "from the sdk\n", 'Docker SDK for Python: containers.run')
    or diag($err);

# pause is not there in Fargate

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'nopause', $img,
                               'sleep', '1000');
($rc, $out, $err) = $t->docker('pause', 'nopause');
ok($rc != 0 && $err =~ /not supported/, 'pause: a clear error')
    or diag($err);
$t->docker('rm', '-f', 'nopause');

# throttling is absorbed by retries

$t->aws_sim_admin('POST', '/_sim/faults', { service => 'ecs',
    action => 'RunTask', kind => 'throttle', count => 2 });
my ($before) = count_calls('RunTask');
($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'throttled');
ok($rc == 0 && $out eq "throttled\n", 'RunTask throttled twice: run works')
    or diag($err);
is(count_calls('RunTask') - $before, 3, 'the simulator saw three RunTask');

# an outage: a clear error, no hung client

$t->aws_sim_admin('POST', '/_sim/faults', { service => 'ecs',
    action => 'RunTask', kind => '500', count => 1000 });
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'run', '--rm', $img,
                               'echo', 'never');
ok($rc == 125 && $err =~ /Error response from daemon: ECS RunTask failed/,
   'a failing RunTask: error from the daemon') or diag("rc $rc err $err");
$t->aws_sim_admin('DELETE', '/_sim/faults');

# the requests the gateway sends are signed right, wrong keys are refused

my ($reqs) = ($t->aws_sim_admin('GET', '/_sim/requests'))[1];
ok(!(grep { ($_->{status} // 0) == 403 } @{ $reqs // [] }),
   'no request of the gateway was refused by SigV4')
    or diag(explain([ grep { $_->{status} == 403 } @$reqs ]));

# a worker that stops while it reads a running task's output leaves
# nothing open (the final check reads the error log)

# (its command says "second" when the test makes a file: the simulator
# runs tasks on this host)
my $go = "$t->{prefix}/go";
($rc, $out, $err) = $t->docker('run', '-d', '--name', 'lives-on', $img,
                               'sh', '-c', "echo first; while [ ! -e $go ];"
                               . " do sleep 0.1; done; echo second;"
                               . " sleep 1000");
is($rc, 0, 'a task runs while nginx stops') or diag($err);

$t->stop;
$ENV{AWS_SECRET_ACCESS_KEY} = 'a-wrong-secret';
$t->run;
($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'x');
ok($rc == 125 && $err =~ /InvalidSignatureException/,
   'a wrong secret: InvalidSignatureException in a Docker error')
    or diag($err);
$ENV{AWS_SECRET_ACCESS_KEY} = 'sockerless-test-secret';

# a fresh gateway (an empty data directory) finds its containers in ECS

$t->stop;
$t->data_dir("$t->{prefix}/data2")->write_conf->run;

my $found = $t->wait_for(30, sub {
    my ($rc, $out) = $t->docker('ps', '-a', '--format',
                                '{{.Names}} {{.Status}}');
    return $out =~ /^sized Exited \(0\)/m && $out =~ /^lives-on Up/m
           ? $out : undef;
});
ok($found, 'a fresh gateway lists the containers it made, from ECS tags');

($rc, $out) = $t->docker('logs', 'sized');
is($out, "hi from /tmp\n", 'their logs, read from CloudWatch');

$j = $t->inspect('sized');
ok($j && $j->{Config}{WorkingDir} eq '/tmp'
   && $j->{Config}{Labels}{team} eq 'blue'
   && (grep { $_ eq 'GREETING=hi' } @{ $j->{Config}{Env} }),
   'their configuration, from the task definition') or diag(explain($j));

# its agent dials again (backing off up to 5 s) and is served
my $served = $t->wait_for(30, sub {
    ($rc, $out, $err) = $t->docker('exec', 'lives-on', 'echo', 'still here');
    return $out eq "still here\n";
});
ok($served, 'exec in a running one, once its agent dialed back')
    or diag($err);

# its output is read again by the new gateway
$t->write_file('go', '');
my $later = $t->wait_for(20, sub {
    my ($rc, $out) = $t->docker('logs', 'lives-on');
    return $out eq "first\nsecond\n";
});
ok($later, 'what a running one writes after the restart reaches its log')
    or diag(($t->docker('logs', 'lives-on'))[1]);

($rc, $out, $err) = $t->docker('kill', 'lives-on');
$state = $t->wait_for(20, sub {
    my $j = $t->inspect('lives-on');
    return $j && !$j->{State}{Running} ? $j->{State} : undef;
});
is($state && $state->{ExitCode}, 137, 'kill: 137, told by DescribeTasks');

# the simulator gone: an error, not a hang

$t->stop;
$t->run;
$t->{aws_sim}{proc}->kill;
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'run', '--rm', $img,
                               'echo', 'x');
ok($rc == 125 && $err =~ /Error response from daemon: ECS \w+ failed/,
   'the cloud unreachable: a clear error') or diag("rc $rc err $err");

my ($st2, $j2) = $t->api_json('GET', '/_ping');
is($st2, 200, 'the gateway goes on');

$t->done;


# the AWS CLI against the simulator; the decoded answer or undef
sub aws_json {
    my (@args) = @_;
    my ($rc, $out, $err) = $t->command({ timeout => 60,
        env => { AWS_ACCESS_KEY_ID => 'AKIDSOCKERLESSTEST',
                 AWS_SECRET_ACCESS_KEY => 'sockerless-test-secret',
                 AWS_DEFAULT_REGION => 'us-east-1',
                 AWS_CONFIG_FILE => '/dev/null',
                 AWS_SHARED_CREDENTIALS_FILE => '/dev/null' } },
        'aws', '--endpoint-url', $sim, '--output', 'json', @args);
    diag("aws @args: $err") if $rc != 0;
    return $rc == 0 ? Sockerless::Test::json_decode($out) : undef;
}


sub count_calls {
    my ($action) = @_;
    my (undef, $r) = $t->aws_sim_admin('GET', '/_sim/requests');
    return scalar grep { ($_->{action} // '') eq $action } @{ $r // [] };
}
