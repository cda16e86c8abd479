# frozen_string_literal: true

require "fileutils"
require "socket"
require "tmpdir"

# A throwaway PostgreSQL server for the specs of the database spool: a
# cluster of its own in a temporary directory, on a free port of
# 127.0.0.1, with a password login; stopped and removed by #stop. Debian's
# server binaries (bin/setup installs `postgresql`); as root (CI) initdb and
# postgres run as the `postgres` user, which they require.
class ThrowawayPostgres
  USER = "ohem"
  PASSWORD = "pg-spec-s3cret-5e2a"

  attr_reader :port

  # fsync: false (the specs') is faster and as good for them; a benchmark
  # measures with it on.
  def initialize(fsync: false)
    @fsync = fsync
    @bin = Dir["/usr/lib/postgresql/*/bin"].select { |d| File.exist?(File.join(d, "initdb")) }.max or
      raise "no PostgreSQL server under /usr/lib/postgresql (bin/setup installs Debian's postgresql)"
    @dir = Dir.mktmpdir("ohem-pg")
    File.write(File.join(@dir, "pw"), PASSWORD)
    FileUtils.chown_R("postgres", nil, @dir) if Process.uid.zero?
    run("initdb", "-D", data, "-U", USER, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync",
        "--pwfile=#{File.join(@dir, "pw")}")
    @port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    start
  end

  def url
    "postgresql://#{USER}:#{PASSWORD}@127.0.0.1:#{@port}/postgres"
  end

  def start
    run("pg_ctl", "-D", data, "-l", File.join(@dir, "log"), "-w", "-o",
        "-c port=#{@port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=#{@dir} " \
        "-c fsync=#{@fsync ? "on" : "off"}", "start")
  end

  # Stops the server at once, as a crash would.
  def halt
    run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", :check => false)
  end

  def stop
    halt
    FileUtils.rm_rf(@dir)
  end

  private

  def data
    File.join(@dir, "data")
  end

  def run(program, *args, check: true)
    command = [File.join(@bin, program), *args]
    command = ["runuser", "-u", "postgres", "--", *command] if Process.uid.zero?
    out = IO.popen(command, :err => %i[child out], &:read)
    raise "#{program} failed: #{out}" if check && !$?.success?

    out
  end
end
