package Sockerless::Test;

# Copyright (C) sockerless contributors
#
# End-to-end test harness: runs nginx with the sockerless module in a
# temporary prefix and drives it with real clients (docker CLI, python SDK).

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA;
use Errno qw(EINTR);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP;
use POSIX qw(:sys_wait_h setsid);
use Socket qw(SOCK_STREAM);
use Test::More ();
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(json_decode json_encode time_ns);

my $LIB  = abs_path(dirname(__FILE__) . '/..');
my $REPO = abs_path("$LIB/../..");

my @INSTANCES;


sub new {
    my ($class, %opts) = @_;

    my $self = bless {
        %opts,
        repo   => $REPO,
        lib    => $LIB,
        module => $ENV{SOCKERLESS_MODULE}
                  // "$REPO/build/ngx_http_sockerless_module.so",
        agent  => $ENV{SOCKERLESS_AGENT} // "$REPO/agent/sockerless-agent",
        nginx  => $ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx',
        docker_bin => $ENV{TEST_DOCKER_BINARY} // 'docker',
    }, $class;

    # dry run: plain nginx without the module, to check that test files
    # run, fail cleanly and keep their plan
    $self->{no_module} //= $ENV{TEST_SOCKERLESS_DRY_RUN};

    unless ($self->{no_module}) {
        Test::More::plan(skip_all => "no module at $self->{module}")
            unless -f $self->{module};
    }

    Test::More::plan(skip_all => "no nginx at $self->{nginx}")
        unless -x $self->{nginx};

    $self->{prefix} = tempdir('slsXXXXXX', DIR => '/tmp');
    $self->{port} = free_port();
    $self->{data} = "$self->{prefix}/data";

    for my $d (qw(client_body data docker-config run)) {
        make_path("$self->{prefix}/$d");
    }

    $self->{owner_pid} = $$;
    push @INSTANCES, $self;
    return $self;
}


sub prefix { $_[0]{prefix} }
sub port   { $_[0]{port} }
sub sock   { "$_[0]{prefix}/docker.sock" }
sub module { $_[0]{module} }
sub agent  { $_[0]{agent} }


sub plan {
    my ($self, $n) = @_;

    # one more for the error log check done at the end
    $self->{planned} = 1;
    Test::More::plan(tests => $n + 1);
    return $self;
}


sub has_tool {
    my ($self, $tool) = @_;

    for my $d (split /:/, $ENV{PATH} // '') {
        return 1 if -x "$d/$tool";
    }
    return 0;
}


sub is_root { $> == 0 }


sub free_port {
    my $s = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1',
        LocalPort => 0,
        Proto     => 'tcp',
        Listen    => 1,
        ReuseAddr => 1,
    ) or die "cannot bind a free port: $!\n";

    my $port = $s->sockport;
    close $s;
    return $port;
}


sub write_file {
    my ($self, $name, $content) = @_;

    my $path = $name =~ m{^/} ? $name : "$self->{prefix}/$name";
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh or die "cannot close $path: $!\n";
    return $path;
}


sub read_file {
    my ($self, $name) = @_;

    my $path = $name =~ m{^/} ? $name : "$self->{prefix}/$name";
    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    my $content = <$fh>;
    close $fh;
    return $content // '';
}


# a data directory elsewhere (before write_conf), made if missing
sub data_dir {
    my ($self, $dir) = @_;

    make_path($dir);
    $self->{data} = $dir;
    return $self;
}


sub write_conf {
    my ($self, $extra) = @_;

    my $p = $self->{prefix};
    $extra //= '';
    $extra = join "\n", map { "    $_" } split /\n/, $extra;

    my $conf = '';
    my $sls = '';

    unless ($self->{no_module}) {
        $conf .= "load_module $self->{module};\n";
        my $backend = $self->{backend_conf} // 'sockerless_backend memory;';
        $sls = <<"EOF";
    sockerless_data_dir $self->{data};
    sockerless_agent $self->{agent};
    $backend
EOF
    }

    $conf .= "user root;\n" if is_root();

    my $handler = $self->{no_module} ? 'return 404;' : 'sockerless;';
    my $max_body = $self->{max_body} // 0;    # new(max_body => '1m')

    $conf .= <<"EOF";
worker_processes 2;
master_process on;
daemon on;
pid $p/nginx.pid;
error_log $p/error.log info;
events { worker_connections 1024; }
http {
    access_log $p/access.log;
    client_body_temp_path $p/client_body;
    client_max_body_size $max_body;
$sls$extra
    server {
        listen 127.0.0.1:$self->{port};
        listen unix:$p/docker.sock;
        location / {
            $handler
        }
        location = /plain200 { return 200; }
    }
}
EOF

    $self->write_file('nginx.conf', $conf);
    return $self;
}


# the backend directives instead of "sockerless_backend memory;" (before
# write_conf)
sub backend {
    my ($self, $conf) = @_;

    $self->{backend_conf} = $conf;
    return $self;
}


# A real dockerd (Debian's docker.io; root only) with its data root, exec
# root and socket under the prefix, vfs storage, no iptables and no bridge
# (and on 127.0.0.1:$tcp_port too, when given, with @extra options such as
# --tlsverify); returns its socket path, or undef with the reason in
# $self->{dockerd_err}
sub start_dockerd {
    my ($self, $tcp_port, @extra) = @_;

    my $d = "$self->{prefix}/dockerd";
    make_path("$d/root", "$d/exec");
    my $sock = "$d/docker.sock";
    my @tcp = $tcp_port ? ('-H', "tcp://127.0.0.1:$tcp_port", @extra) : ();

    my $p = $self->spawn('dockerd', '--data-root', "$d/root",
                         '--exec-root', "$d/exec",
                         '--pidfile', "$d/dockerd.pid", @tcp,
                         '-H', "unix://$sock", '--storage-driver', 'vfs',
                         '--iptables=false', '--ip6tables=false',
                         '--bridge=none', '--ip-forward=false',
                         '--ip-masq=false');
    $self->{dockerd} = { proc => $p, sock => $sock, dir => $d };

    my $up = $self->wait_for(60, sub {
        return 0 unless -S $sock && $p->alive;
        my ($rc) = $self->dockerd_cli('version');
        return $rc == 0;
    });

    unless ($up) {
        $self->{dockerd_err} = "dockerd did not start:\n" . $p->stderr;
        return undef;
    }

    return $sock;
}


sub dockerd_sock { $_[0]{dockerd} ? $_[0]{dockerd}{sock} : undef }


# Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its
# storage under the prefix; returns "127.0.0.1:port", or undef. Options:
# user and password turn on htpasswd (bcrypt) auth.
sub start_registry {
    my ($self, %o) = @_;

    my $port = free_port();
    my $dir = "$self->{prefix}/registry-$port";
    make_path("$dir/data");

    my $auth = '';
    if (defined $o{user}) {
        # libcrypt's bcrypt through python, as "htpasswd -B" makes it
        my ($rc, $hash) = $self->command({}, 'python3', '-W', 'ignore', '-c',
            'import crypt, sys; print(crypt.crypt(sys.argv[1], '
            . 'crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))',
            $o{password});
        chomp $hash;
        return undef unless $rc == 0 && $hash =~ /^\$2/;
        $self->write_file("registry-$port/htpasswd", "$o{user}:$hash\n");
        $auth = <<"EOF";
auth:
  htpasswd:
    realm: sockerless-test
    path: $dir/htpasswd
EOF
    }

    my $conf = $self->write_file("registry-$port/config.yml", <<"EOF");
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$auth
EOF

    my $p = $self->spawn('docker-registry', 'serve', $conf);
    my $up = $self->wait_for(30, sub {
        return IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp');
    });

    return $up ? "127.0.0.1:$port" : undef;
}


# pushes the test busybox image into a registry as repo:tag with python
# (t/lib/regpush.py); options: user, password, index_tag (an OCI index
# too), pad (an extra layer of that many MiB). Returns the manifest
# digest (and the index digest), or () with a diag.
sub push_busybox {
    my ($self, $reg, $repo, $tag, %o) = @_;

    my $tar = eval { $self->busybox_tar };
    unless ($tar) {
        Test::More::diag($@);
        return ();
    }

    my @args = ('python3', "$LIB/regpush.py", '--registry', $reg,
                '--repo', $repo, '--tag', $tag);
    push @args, '--user', $o{user}, '--password', $o{password}
        if defined $o{user};
    push @args, '--index-tag', $o{index_tag} if $o{index_tag};
    push @args, '--pad', $o{pad} if $o{pad};

    my ($rc, $out, $err) = $self->command({ timeout => 120 }, @args, $tar);
    unless ($rc == 0) {
        Test::More::diag("regpush.py: exit $rc: $out$err");
        return ();
    }

    return split /\n/, $out;
}


# the docker CLI straight to the test's dockerd
# The AWS simulator (t/sim/aws.py) on a free port with its state under the
# prefix, running the agent for /sockerless/agent; returns its base URL, or
# undef with the reason in $self->{aws_sim_err}. Options: access_key,
# secret_key, delay, stop_timeout.
sub start_aws_sim {
    my ($self, %o) = @_;

    my $dir = "$self->{prefix}/aws";
    make_path($dir);

    my @args = ('python3', "$self->{repo}/t/sim/aws.py", '--port', '0',
        '--state-dir', $dir,
        '--access-key', $o{access_key} // 'AKIDSOCKERLESSTEST',
        '--secret-key', $o{secret_key} // 'sockerless-test-secret',
        '--map', "/sockerless/agent=$self->{agent}",
        '--delay', $o{delay} // '0.05');
    push @args, '--stop-timeout', $o{stop_timeout} if $o{stop_timeout};

    my $p = $self->spawn(@args);
    my $line = $p->wait_output(qr/\{"port": *\d+\}/, 30);

    unless ($line) {
        $self->{aws_sim_err} = $p->stderr;
        return undef;
    }

    my ($port) = $p->stdout =~ /"port": *(\d+)/;
    $self->{aws_sim} = { proc => $p, port => $port, dir => $dir };

    return "http://127.0.0.1:$port";
}


# a request to the simulator's admin endpoints: ($status, $json)
sub aws_sim_admin {
    my ($self, $method, $path, $body) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $self->{aws_sim}{port}, Proto => 'tcp', Timeout => 10)
        or return (0, undef);
    my $b = defined $body ? json_encode($body) : '';
    print $s "$method $path HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: " . length($b) . "\r\n\r\n$b";
    local $/;
    my $r = <$s> // '';
    my ($st) = $r =~ m{^HTTP/1\.\d (\d+)};
    my (undef, $rb) = split /\r\n\r\n/, $r, 2;
    return ($st // 0, eval { json_decode($rb // '') });
}


sub dockerd_cli {
    my ($self, @args) = @_;

    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    return $self->command({
        timeout => $o->{timeout} // 120,
        stdin => $o->{stdin},
        env => $self->docker_env({ env => {
            DOCKER_HOST => 'unix://' . $self->{dockerd}{sock} } }),
        name => join(' ', 'docker (straight)', @args),
    }, $self->{docker_bin}, @args);
}


# removes what the test left in dockerd, then stops it (idempotent)
sub stop_dockerd {
    my ($self) = @_;

    my $d = $self->{dockerd} or return;
    my $p = $d->{proc};

    if ($p->alive && -S $d->{sock}) {
        my ($rc, $out) = $self->dockerd_cli({ timeout => 30 },
                                            'ps', '-aq');
        my @ids = split /\s+/, $out;
        $self->dockerd_cli({ timeout => 60 }, 'rm', '-f', @ids) if @ids;
    }

    if ($p->alive) {
        kill 'TERM', $p->pid;
        $p->kill('KILL') unless defined $p->wait(30);
    }

    return $self;
}


sub nginx_cmd {
    my ($self, @args) = @_;

    my $p = $self->{prefix};
    return ($self->{nginx}, '-p', "$p/", '-c', "$p/nginx.conf",
            '-e', "$p/error.log", @args);
}


sub error_log_tail {
    my ($self, $n) = @_;

    my @lines = split /\n/, $self->read_file('error.log');
    $n //= 30;
    @lines = @lines[-$n .. -1] if @lines > $n;
    return join "\n", @lines;
}


sub master_pid {
    my ($self) = @_;

    my $pid = $self->read_file('nginx.pid');
    return $pid =~ /^(\d+)/ ? $1 : undef;
}


sub run {
    my ($self) = @_;

    $self->write_conf unless -f "$self->{prefix}/nginx.conf";

    my ($rc, $out, $err) = $self->command({ timeout => 30 },
                                          $self->nginx_cmd);
    if ($rc != 0) {
        die "nginx failed to start (exit $rc): $out$err\n"
            . $self->error_log_tail . "\n";
    }

    my $deadline = time + 15;
    my ($tcp, $unix) = (0, 0);

    while (time < $deadline) {
        $tcp ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                       PeerPort => $self->{port},
                                       Proto => 'tcp', Timeout => 1) ? 1 : 0;
        $unix ||= IO::Socket::UNIX->new(Peer => $self->sock,
                                        Type => SOCK_STREAM) ? 1 : 0;
        last if $tcp && $unix && defined $self->master_pid;
        sleep 0.05;
    }

    unless ($tcp && $unix && defined $self->master_pid) {
        die "nginx did not start listening (tcp $tcp, unix $unix):\n"
            . $self->error_log_tail . "\n";
    }

    $self->{running} = 1;
    $self->wait_workers($self->master_pid, 15);
    return $self;
}


sub pid_alive {
    my ($pid) = @_;

    return 0 unless defined $pid && kill 0, $pid;

    # a daemonized master is not our child; when no one reaps it, a zombie
    # is as good as gone
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh> // '';
    close $fh;
    return $stat =~ /\)\s+Z\s/ ? 0 : 1;
}


sub stop {
    my ($self) = @_;

    return $self unless $self->{running};

    my $pid = $self->master_pid;
    $self->command({ timeout => 15 }, $self->nginx_cmd('-s', 'quit'));

    my $deadline = time + 30;
    while (time < $deadline) {
        last unless pid_alive($pid) || -f "$self->{prefix}/nginx.pid";
        sleep 0.05;
    }

    if (pid_alive($pid)) {
        Test::More::diag("nginx $pid did not quit gracefully in 30s, "
                         . "sending TERM");
        kill 'TERM', $pid;
        $deadline = time + 10;
        sleep 0.05 while pid_alive($pid) && time < $deadline;
        kill 'KILL', $pid if pid_alive($pid);
        kill 'KILL', $_ for $self->children($pid);
    }

    $self->{running} = 0;
    return $self;
}


sub children {
    my ($self, $ppid) = @_;

    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh> // '';
        close $fh;
        # pid (comm) state ppid ...: comm may hold spaces and parens
        next unless $stat =~ /\)\s+(\S)\s+(\d+)/;
        next if $1 eq 'Z';
        push @pids, $pid + 0 if $2 == $ppid;
    }
    closedir $dh;
    return sort { $a <=> $b } @pids;
}


sub worker_pids {
    my ($self) = @_;

    my $master = $self->master_pid // return ();
    return $self->children($master);
}


sub wait_workers {
    my ($self, $master, $timeout) = @_;

    my $deadline = time + $timeout;
    while (time < $deadline) {
        my @w = $self->children($master);
        return @w if @w >= 2;
        sleep 0.05;
    }
    return $self->children($master);
}


sub reload {
    my ($self) = @_;

    my $master = $self->master_pid;
    my %old = map { $_ => 1 } $self->children($master);

    my ($rc, $out, $err) = $self->command({ timeout => 15 },
                                          $self->nginx_cmd('-s', 'reload'));
    die "nginx -s reload failed (exit $rc): $out$err\n" if $rc != 0;

    my $deadline = time + 30;
    my (@new, @left);
    while (time < $deadline) {
        my @now = $self->children($master);
        @new = grep { !$old{$_} } @now;
        @left = grep { $old{$_} } @now;
        last if @new >= 2 && !@left;
        sleep 0.05;
    }

    die "nginx reload: no new workers\n" . $self->error_log_tail . "\n"
        unless @new >= 2;

    Test::More::diag("old workers @left still shutting down after reload")
        if @left;

    return $self;
}


sub restart {
    my ($self) = @_;

    $self->stop;
    return $self->run;
}


# runs a command with a timeout; returns ($exit, $stdout, $stderr);
# options: timeout (s), env (hashref), stdin (file name), name (for reports)
sub command {
    my ($self, @cmd) = @_;

    my $o = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $timeout = $o->{timeout} // 60;
    my $n = ++$self->{cmdseq};
    my $out = "$self->{prefix}/run/cmd$n.out";
    my $err = "$self->{prefix}/run/cmd$n.err";
    my $in = $o->{stdin} // '/dev/null';

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        setpgrp(0, 0);
        %ENV = (%ENV, %{ $o->{env} // {} });
        delete $ENV{$_} for grep { !defined $ENV{$_} } keys %ENV;
        open STDIN, '<', $in or POSIX::_exit(126);
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>', $err or POSIX::_exit(126);
        { exec { $cmd[0] } @cmd; }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }

    my $deadline = time + $timeout;
    my $status;

    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid) {
            $status = $?;
            last;
        }
        if (time > $deadline) {
            kill 'TERM', -$pid;
            my $d2 = time + 3;
            while (time < $d2 && waitpid($pid, WNOHANG) == 0) {
                sleep 0.05;
            }
            kill 'KILL', -$pid;
            waitpid($pid, 0);
            last;
        }
        sleep 0.02;
    }

    my $stdout = $self->read_file($out);
    my $stderr = $self->read_file($err);
    unlink $out, $err;

    unless (defined $status) {
        my $what = $o->{name} // join ' ', @cmd;
        Test::More::fail("timed out after ${timeout}s: $what");
        return (-1, $stdout, $stderr . "\n[harness: timed out]\n");
    }

    my $rc = $status & 127 ? 128 + ($status & 127) : $status >> 8;
    return ($rc, $stdout, $stderr);
}


sub docker_env {
    my ($self, $o) = @_;

    $o //= {};
    return {
        DOCKER_HOST => $o->{unix} ? 'unix://' . $self->sock
                                  : "tcp://127.0.0.1:$self->{port}",
        DOCKER_CONFIG => "$self->{prefix}/docker-config",
        DOCKER_CLI_HINTS => 'false',
        DOCKER_CONTEXT => undef,
        DOCKER_TLS_VERIFY => undef,
        DOCKER_CERT_PATH => undef,
        DOCKER_API_VERSION => undef,
        DOCKER_DEFAULT_PLATFORM => undef,
        %{ $o->{env} // {} },
    };
}


# $t->docker([{timeout => s, unix => 1, stdin => file}], @args)
sub docker {
    my ($self, @args) = @_;

    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    return $self->command({
        timeout => $o->{timeout} // 60,
        stdin => $o->{stdin},
        env => $self->docker_env($o),
        name => join(' ', 'docker', @args),
    }, $self->{docker_bin}, @args);
}


sub docker_in {
    my ($self, $stdin, @args) = @_;

    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    return $self->docker({ %$o, stdin => $stdin }, @args);
}


# python3 with DOCKER_HOST set; a script file or program text
sub python {
    my ($self, $script, @args) = @_;

    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    my $file = $script !~ /\n/ && -f $script;
    my @cmd = $file ? ('python3', $script, @args)
                    : ('python3', '-c', $script, @args);
    return $self->command({
        timeout => $o->{timeout} // 120,
        stdin => $o->{stdin},
        env => { %{ $self->docker_env($o) }, PYTHONUNBUFFERED => 1 },
        name => "python3 " . ($file ? $script : '-c ...'),
    }, @cmd);
}


# starts a background process; returns a Sockerless::Test::Proc
# options: env, stdin => 'pipe' | file, docker => 1 (docker env)
sub spawn {
    my ($self, @cmd) = @_;

    my $o = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $n = ++$self->{cmdseq};
    my $out = "$self->{prefix}/run/bg$n.out";
    my $err = "$self->{prefix}/run/bg$n.err";
    my $env = $o->{docker} ? $self->docker_env($o) : ($o->{env} // {});

    my ($rd, $wr);
    if (($o->{stdin} // '') eq 'pipe') {
        pipe($rd, $wr) or die "pipe: $!\n";
    }

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        setpgrp(0, 0);
        %ENV = (%ENV, %$env);
        delete $ENV{$_} for grep { !defined $ENV{$_} } keys %ENV;
        if ($rd) {
            close $wr;
            open STDIN, '<&', $rd or POSIX::_exit(126);
        } else {
            open STDIN, '<', $o->{stdin} // '/dev/null'
                or POSIX::_exit(126);
        }
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>', $err or POSIX::_exit(126);
        { exec { $cmd[0] } @cmd; }
        POSIX::_exit(127);
    }

    if ($rd) {
        close $rd;
        my $old = select $wr;
        $| = 1;
        select $old;
    }

    my $p = bless {
        pid => $pid, out => $out, err => $err, stdin => $wr,
        t => $self, cmd => [@cmd],
    }, 'Sockerless::Test::Proc';

    push @{ $self->{procs} }, $p;
    return $p;
}


sub docker_spawn {
    my ($self, @args) = @_;

    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    return $self->spawn({ %$o, docker => 1 }, $self->{docker_bin}, @args);
}


# polls $code->() until it returns true or the deadline passes
sub wait_for {
    my ($self, $timeout, $code) = @_;

    my $deadline = time + $timeout;
    while (1) {
        my $r = $code->();
        return $r if $r;
        return undef if time > $deadline;
        sleep 0.05;
    }
}


# raw HTTP/1.1; returns ($status, \%headers (lower case names), $body)
# options: unix => 1 (or sock => path), headers => {}, timeout => s,
# raw_body => 1, until => qr// (a client that goes: the socket is closed
# as soon as what came matches; the body is then what came, undecoded)
sub api {
    my ($self, $method, $path, $body, %o) = @_;

    my $s = $o{unix} || $o{sock}
        ? IO::Socket::UNIX->new(Peer => $o{sock} // $self->sock,
                                Type => SOCK_STREAM)
        : IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                PeerPort => $self->{port}, Proto => 'tcp',
                                Timeout => 5);
    return (0, {}, "connect: $!") unless $s;
    binmode $s;

    if (defined $body && ref $body) {
        $body = json_encode($body);
    }

    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n";
    my %h = %{ $o{headers} // {} };
    if (defined $body) {
        $h{'Content-Type'} //= 'application/json';
        $h{'Content-Length'} = length $body;
    }
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    $req .= "\r\n";
    $req .= $body if defined $body;

    my $timeout = $o{timeout} // 30;
    my $deadline = time + $timeout;
    my $sel = IO::Select->new($s);

    my $off = 0;
    while ($off < length $req) {
        my $left = $deadline - time;
        last if $left <= 0;
        next unless IO::Select->new($s)->can_write($left);
        my $n = syswrite($s, $req, 65536, $off);
        unless (defined $n) {
            next if $! == EINTR;
            last;       # the server may answer early (413) and close
        }
        $off += $n;
    }

    my $resp = '';
    my ($status, $hdrs, $hlen);
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) {
            Test::More::diag("api $method $path: timed out after ${timeout}s");
            last;
        }
        next unless $sel->can_read($left);
        my $n = sysread($s, $resp, 65536, length $resp);
        if (!defined $n) {
            next if $! == EINTR;
            last;
        }
        last if $n == 0;
        if ($o{until} && $resp =~ $o{until}) {
            close $s;
            return (0, {}, $resp);
        }
        if (!defined $hlen && $resp =~ /\r\n\r\n/) {
            $hlen = $+[0];
        }
        if (defined $hlen) {
            ($status, $hdrs) = parse_head(substr $resp, 0, $hlen);
            last if response_complete($method, $status, $hdrs,
                                      substr($resp, $hlen));
        }
    }
    close $s;

    return (0, {}, $resp) unless defined $hlen;

    ($status, $hdrs) = parse_head(substr $resp, 0, $hlen);
    my $b = substr $resp, $hlen;
    if (lc($hdrs->{'transfer-encoding'} // '') eq 'chunked') {
        $b = dechunk($b);
    }
    return ($status, $hdrs, $b);
}


sub parse_head {
    my ($head) = @_;

    my @lines = split /\r\n/, $head;
    my $sl = shift @lines // '';
    my ($status) = $sl =~ m{^HTTP/\d\.\d\s+(\d+)};
    my %h;
    for (@lines) {
        next unless /^([^:]+):\s*(.*)$/;
        my $k = lc $1;
        $h{$k} = exists $h{$k} ? "$h{$k}, $2" : $2;
    }
    return ($status // 0, \%h);
}


sub response_complete {
    my ($method, $status, $h, $b) = @_;

    return 1 if $method eq 'HEAD' || $status == 204 || $status == 304
                || $status == 101;
    if (defined $h->{'content-length'}) {
        return length($b) >= $h->{'content-length'};
    }
    if (lc($h->{'transfer-encoding'} // '') eq 'chunked') {
        return $b =~ /(?:^|\r\n)0\r\n(?:[^\r\n]+\r\n)*\r\n\z/;
    }
    return 0;
}


sub dechunk {
    my ($b) = @_;

    my $out = '';
    while ($b =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $n = hex $1;
        last if $n == 0;
        $out .= substr $b, 0, $n, '';
        $b =~ s/^\r\n//;
    }
    return $out;
}


# api() and JSON decode of the body (undef when it is not JSON)
sub api_json {
    my ($self, @args) = @_;

    my ($st, $h, $b) = $self->api(@args);
    my $j = eval { json_decode($b) };
    return ($st, $j, $h, $b);
}


sub json_decode {
    my ($text) = @_;
    return JSON::PP->new->allow_nonref->decode($text);
}


sub json_encode {
    my ($v) = @_;
    return JSON::PP->new->canonical->allow_nonref->encode($v);
}


# an RFC 3339 UTC time as dockerd writes it (the fraction may lose its
# trailing zeros) in nanoseconds, as a string that compares with lt/gt;
# undef when it is not one
sub time_ns {
    my ($s) = @_;
    return undef unless defined $s
        && $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)
                   (?:\.(\d{1,9}))?Z$/x;
    my $frac = substr(($7 // '') . '000000000', 0, 9);
    return "$1$2$3$4$5$6$frac";
}


# docker inspect of one object, decoded (undef when it fails)
sub inspect {
    my ($self, $what) = @_;

    my ($rc, $out) = $self->docker('inspect', $what);
    return undef if $rc != 0;
    my $j = eval { json_decode($out) };
    return ref $j eq 'ARRAY' ? $j->[0] : undef;
}


# waits until `docker inspect` shows State.Status eq $status
sub wait_status {
    my ($self, $id, $status, $timeout) = @_;

    return $self->wait_for($timeout // 30, sub {
        my $j = $self->inspect($id);
        return $j && ($j->{State}{Status} // '') eq $status ? $j : undef;
    });
}


# builds (once, cached) the busybox image and loads it with docker load
sub busybox_tar {
    my ($self) = @_;

    my $bb = $ENV{TEST_BUSYBOX} // '/bin/busybox';
    die "no $bb (install busybox-static)\n" unless -x $bb;

    my $sha = Digest::SHA->new(256);
    $sha->addfile($bb);
    $sha->addfile("$LIB/mkimage.py");
    my $key = substr $sha->hexdigest, 0, 32;

    my $cache = $ENV{SOCKERLESS_TEST_CACHE} // "/tmp/sockerless-test-cache";
    make_path($cache);
    my $tar = "$cache/busybox-$key.tar";
    return $tar if -s $tar;

    my ($rc, $out, $err) = $self->command({ timeout => 120 },
        'python3', "$LIB/mkimage.py", '--busybox', $bb, '-o', $tar);
    die "mkimage.py failed: $out$err\n" if $rc != 0;
    return $tar;
}


sub load_busybox {
    my ($self) = @_;

    my $tar = eval { $self->busybox_tar };
    unless ($tar) {
        Test::More::diag($@);
        return 0;
    }

    my ($rc, $out, $err) = $self->docker({ timeout => 120 },
                                         'load', '-i', $tar);
    unless ($rc == 0 && $out =~ /Loaded image: busybox:latest/) {
        Test::More::diag("docker load: exit $rc: $out$err");
        return 0;
    }
    return 1;
}


# tmux on a private server socket; returns a Sockerless::Test::Tmux
sub tmux {
    my ($self, $cols, $rows, @cmd) = @_;

    my $n = ++$self->{tmuxseq};
    my $tm = bless {
        t => $self,
        sock => "$self->{prefix}/tmux.sock",
        name => "s$n",
    }, 'Sockerless::Test::Tmux';

    my $conf = $self->write_file('tmux.conf',
        "set -g remain-on-exit on\nset -g status off\n"
        . "set -g history-limit 10000\nset -g default-terminal screen\n");

    my $env = $self->docker_env;
    my @envcmd = ('env', map { "$_=$env->{$_}" }
                         grep { defined $env->{$_} } sort keys %$env);
    # the exit status goes to a file: tmux 3.3 sometimes leaves the
    # pane's process unreaped, with no #{pane_dead_status} to read
    $tm->{status} = "$self->{prefix}/tmux-$tm->{name}.status";
    my $shell = join(' ', map { shell_quote($_) } @envcmd, @cmd)
        . '; echo $? >' . shell_quote("$tm->{status}.tmp")
        . ' && mv ' . shell_quote("$tm->{status}.tmp") . ' '
        . shell_quote($tm->{status});

    my ($rc, $out, $err) = $self->command({ timeout => 15 },
        'tmux', '-S', $tm->{sock}, '-f', $conf, 'new-session', '-d',
        '-s', $tm->{name}, '-x', $cols, '-y', $rows, $shell);
    die "tmux new-session: $out$err\n" if $rc != 0;

    push @{ $self->{tmuxes} }, $tm;
    return $tm;
}


sub shell_quote {
    my ($s) = @_;

    return $s if $s =~ m{^[-\w/.,:=@+]+$};
    $s =~ s/'/'\\''/g;
    return "'$s'";
}


# processes that belong to this prefix: agents and container processes
sub prefix_pids {
    my ($self) = @_;

    my $p = $self->{prefix};
    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        next if $pid == $$;
        my $cmd = '';
        if (open my $fh, '<', "/proc/$pid/cmdline") {
            local $/;
            $cmd = <$fh> // '';
            close $fh;
        }
        my $root = readlink("/proc/$pid/root") // '';
        my $cwd = readlink("/proc/$pid/cwd") // '';
        push @pids, $pid + 0
            if index($cmd, "$p/") >= 0 || index($root, "$p/") == 0
               || index($cwd, "$p/") == 0;
    }
    closedir $dh;
    return @pids;
}


# agent processes of container $id (pids, lowest first)
sub agent_pids {
    my ($self, $id) = @_;

    my @pids;
    for my $pid ($self->prefix_pids) {
        my $exe = readlink("/proc/$pid/exe") // '';
        next unless $exe =~ m{/sockerless-agent(?: \(deleted\))?$};
        my $cmd = '';
        if (open my $fh, '<', "/proc/$pid/cmdline") {
            local $/;
            $cmd = <$fh> // '';
            close $fh;
        }
        my $where = join ' ', $cmd, readlink("/proc/$pid/cwd") // '',
                              readlink("/proc/$pid/root") // '';
        push @pids, $pid if index($where, $id) >= 0;
    }
    return sort { $a <=> $b } @pids;
}


# the environment of a process, as a hash (empty when unreadable)
sub proc_environ {
    my ($self, $pid) = @_;

    open my $fh, '<', "/proc/$pid/environ" or return {};
    local $/;
    my $e = <$fh> // '';
    close $fh;
    return { map { /^([^=]*)=(.*)$/s ? ($1, $2) : () } split /\0/, $e };
}


sub mounts_under {
    my ($p) = @_;

    my @m;
    open my $fh, '<', '/proc/self/mountinfo' or return ();
    while (<$fh>) {
        my $mp = (split / /)[4];
        $mp =~ s/\\(\d{3})/chr oct $1/ge;
        push @m, $mp if $mp eq $p || index($mp, "$p/") == 0;
    }
    close $fh;
    return sort { length $b <=> length $a } @m;
}


# the error log check: one test when the file used $t->plan
sub check_error_log {
    my ($self) = @_;

    my @bad = grep {
        /\[(?:alert|crit|emerg)\]/
        || /AddressSanitizer|LeakSanitizer|runtime error:/
    } split /\n/, $self->read_file('error.log');

    # sanitizer reports of the agent go to the container's agent.log
    for my $log (glob "$self->{data}/containers/*/agent.log") {
        push @bad, map { "$log: $_" }
            grep { /AddressSanitizer|LeakSanitizer|runtime error:/ }
            split /\n/, $self->read_file($log);
    }

    return @bad;
}


sub cleanup {
    my ($self) = @_;

    return if $self->{cleaned}++;

    for my $tm (@{ $self->{tmuxes} // [] }) {
        system('tmux', '-S', $tm->{sock}, 'kill-server') if -S $tm->{sock};
    }
    eval { $self->stop_dockerd };
    for my $p (@{ $self->{procs} // [] }) {
        $p->kill;
    }

    # the bridges of this instance's networks (root only), removed once
    # their containers are gone; another instance's have other names
    my @bridges;
    if ($> == 0 && -S $self->sock) {
        my ($rc, $out) = $self->command({
            timeout => 10,
            env => $self->docker_env,
        }, $self->{docker_bin}, 'network', 'ls', '-q', '--no-trunc');
        @bridges = map { 'sls-' . substr($_, 0, 8) }
                   grep { /^[0-9a-f]{64}$/ } split /\n/, $out // ''
            if $rc == 0;
    }

    eval { $self->stop };

    # the agents are detached (they outlive nginx by design): end the ones
    # that belong to this prefix
    for (1 .. 20) {
        my @pids = $self->prefix_pids;
        last unless @pids;
        kill 'KILL', @pids;
        sleep 0.1;
    }

    for my $b (@bridges) {
        system('ip', 'link', 'del', $b) if -e "/sys/class/net/$b";
    }

    $self->remove_cgroups if $> == 0;

    my @bad = $self->check_error_log;
    if ($self->{planned}) {
        Test::More::ok(!@bad, 'no alerts, crits, emergs or sanitizer reports'
                              . ' in the error log')
            or Test::More::diag(join "\n", @bad);
    } elsif (@bad) {
        Test::More::diag("error log:\n" . join "\n", @bad);
    }

    if ($ENV{TEST_SOCKERLESS_LEAVE}) {
        Test::More::diag("left $self->{prefix}");
        return;
    }

    for my $m (mounts_under($self->{prefix})) {
        system('umount', '-l', $m);
    }
    if (mounts_under($self->{prefix})) {
        Test::More::diag("mounts remain under $self->{prefix}; not removed");
        return;
    }
    remove_tree($self->{prefix}, { safe => 1 });
}


# the cgroups of this instance's containers, which agents killed above
# could not remove (<parent>/<id> in each hierarchy; see
# memory_cgroup.c), and their parents when that leaves them empty
sub remove_cgroups {
    my ($self) = @_;

    my %ids;
    if ($self->{data} && opendir my $dh, "$self->{data}/containers") {
        $ids{$_} = 1 for grep { /^[0-9a-f]{64}$/ } readdir $dh;
        closedir $dh;
    }
    return unless %ids;

    my @dirs = grep { m{/([0-9a-f]{64})$} && $ids{$1} }
               split /\n/, `find /sys/fs/cgroup -maxdepth 7 -mindepth 2 \\
                             -type d -path '*/sockerless*/*' 2>/dev/null`;
    return unless @dirs;

    my %parents = map { (m{^(.*)/[^/]+$})[0] => 1 } @dirs;

    # the killed processes leave their cgroups as they exit
    for (1 .. 20) {
        @dirs = grep { -d $_ && !rmdir($_) } @dirs;
        last unless @dirs;
        sleep 0.1;
    }

    # busy while another instance's containers run: left to it
    rmdir $_ for keys %parents;
}


sub done {
    my ($self) = @_;
    $self->cleanup;
}


END {
    my $rc = $?;
    for my $t (@INSTANCES) {
        next unless $t->{owner_pid} == $$;
        $t->cleanup;
    }
    $? = $rc;
}


package Sockerless::Test::Proc;

use strict;
use warnings;

use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);


sub pid { $_[0]{pid} }
sub stdout { $_[0]{t}->read_file($_[0]{out}) }
sub stderr { $_[0]{t}->read_file($_[0]{err}) }


sub write {
    my ($self, $data) = @_;

    return 0 unless $self->{stdin};
    local $SIG{PIPE} = 'IGNORE';
    return print { $self->{stdin} } $data;
}


sub close_stdin {
    my ($self) = @_;

    close $self->{stdin} if $self->{stdin};
    $self->{stdin} = undef;
}


# waits until stdout (or stderr with $which eq 'stderr') matches $re
sub wait_output {
    my ($self, $re, $timeout, $which) = @_;

    $which //= 'stdout';
    my $deadline = time + ($timeout // 30);
    while (1) {
        my $s = $which eq 'stderr' ? $self->stderr : $self->stdout;
        return $s if $s =~ $re;
        return undef if time > $deadline || !$self->alive;
        sleep 0.05;
    }
}


sub alive {
    my ($self) = @_;

    return 0 if defined $self->{status};
    my $r = waitpid($self->{pid}, WNOHANG);
    if ($r == $self->{pid}) {
        $self->{status} = $?;
        return 0;
    }
    return 1;
}


# waits for exit; returns the exit code (128+sig when signalled), or undef
# on timeout
sub wait {
    my ($self, $timeout) = @_;

    my $deadline = time + ($timeout // 30);
    while ($self->alive) {
        return undef if time > $deadline;
        sleep 0.05;
    }
    my $s = $self->{status};
    return $s & 127 ? 128 + ($s & 127) : $s >> 8;
}


sub kill {
    my ($self, $sig) = @_;

    $self->close_stdin;
    return unless $self->alive;
    kill $sig // 'TERM', -$self->{pid};
    unless (defined $self->wait(5)) {
        kill 'KILL', -$self->{pid};
        $self->wait(5);
    }
}


package Sockerless::Test::Tmux;

use strict;
use warnings;

use Time::HiRes qw(sleep time);


sub cmd {
    my ($self, @args) = @_;

    my ($rc, $out, $err) = $self->{t}->command({ timeout => 15 },
        'tmux', '-S', $self->{sock}, @args);
    return wantarray ? ($rc, $out, $err) : $out;
}


sub send_keys {
    my ($self, @keys) = @_;
    return ($self->cmd('send-keys', '-t', $self->{name}, @keys))[0] == 0;
}


# types a line literally and presses Enter
sub type_line {
    my ($self, $line) = @_;

    $self->cmd('send-keys', '-t', $self->{name}, '-l', $line);
    return $self->send_keys('Enter');
}


sub capture {
    my ($self) = @_;
    return scalar $self->cmd('capture-pane', '-p', '-J', '-S', '-',
                             '-t', $self->{name});
}


sub wait_screen {
    my ($self, $re, $timeout) = @_;

    my $deadline = time + ($timeout // 30);
    while (1) {
        my $dead = defined $self->pane_dead;
        my $s = $self->capture;
        return $s if $s =~ $re;
        return undef if time > $deadline || $dead;
        sleep 0.1;
    }
}


sub resize {
    my ($self, $cols, $rows) = @_;
    return ($self->cmd('resize-window', '-t', $self->{name},
                       '-x', $cols, '-y', $rows))[0] == 0;
}


sub pane_dead {
    my ($self) = @_;

    open my $fh, '<', $self->{status} or return undef;
    my $st = <$fh>;
    return defined $st && $st =~ /^(\d+)/ ? $1 : -1;
}


# waits for the command in the pane to exit; returns its exit status
sub wait_exit {
    my ($self, $timeout) = @_;

    my $deadline = time + ($timeout // 30);
    while (1) {
        my $d = $self->pane_dead;
        return $d if defined $d;
        return undef if time > $deadline;
        sleep 0.1;
    }
}


1;
