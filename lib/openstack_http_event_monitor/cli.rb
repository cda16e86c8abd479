# frozen_string_literal: true

require "logger"
require "optparse"
require "openstack_http_event_monitor"
require "openstack_http_event_monitor/cli/arguments"
require "openstack_http_event_monitor/cli/failed_polls"
require "openstack_http_event_monitor/cli/output"
require "openstack_http_event_monitor/cli/progress"

class OpenstackHTTPEventMonitor
  # `openstack-http-events`: check an event service, tail its events (JSON
  # lines, a table or bare values: {Output}), or record its answers to a
  # VCR cassette. Every flag has an environment fallback; flags win, over
  # the environment and --config.
  class CLI
    # Exit statuses.
    EXIT_OK = 0
    EXIT_FAILED = 1
    EXIT_USAGE = 2
    EXIT_INTERRUPTED = 130

    # @param argv [Array<String>]
    # @param env [Hash{String => String}] the environment the CLI reads (OS_*,
    #   OHEM_*, OS_CLOUD, OS_CLIENT_CONFIG_FILE, XDG_CONFIG_HOME, HOME); never ENV
    #   unless given
    # @param stdin [IO] where a password is asked for, when it is a terminal
    def initialize(argv, env = ENV, stdout: $stdout, stderr: $stderr, stdin: $stdin)
      @argv = argv.dup
      @env = env
      @stdout = stdout
      @stderr = stderr
      @stdin = stdin
    end

    # Runs the command. A Ctrl-C (Interrupt) ends it with status 130 and no
    # backtrace; `tail` and `listen`, once running, stop on it (and on TERM)
    # cleanly instead, print their summary and return 0.
    # @return [Integer] exit status: 0 fine, 1 not available or failed,
    #   2 usage or configuration error, 130 interrupted
    def run
      command, options, flags = Arguments.new(@argv, @env, :stdout => @stdout, :stderr => @stderr, :stdin => @stdin).parse
      @quiet = flags[:level] >= Logger::ERROR
      case command
      when "check" then check(options, flags)
      when "tail" then tail(options, flags)
      when "record" then record(options, flags)
      when "listen" then tail(options, flags)
      else EXIT_OK # --help or --version
      end
    rescue OptionParser::ParseError, UsageError => e
      @stderr.puts("openstack-http-events: #{e.message}")
      @stderr.puts("Try --help.")
      EXIT_USAGE
    rescue ConfigurationError => e
      @stderr.puts("openstack-http-events: #{e.message}")
      EXIT_USAGE
    rescue Interrupt
      @stderr.puts("openstack-http-events: interrupted") unless @quiet
      EXIT_INTERRUPTED
    end

    class UsageError < StandardError; end

    # Attempts `check`, `record` and `tail --once` make before giving up.
    DEFAULT_RETRIES = 3

    # Errors another attempt may get past (not credentials, TLS or a catalog).
    TRANSIENT = [ConnectionError, ProtocolError].freeze
    private_constant :TRANSIENT

    private

    # Whether --type and --event-project let the event through.
    def wanted?(event, flags)
      return false if flags[:types] && !flags[:types].include?(event["event_type"])
      return true unless flags[:event_project]

      payload = event["payload"].is_a?(Hash) ? event["payload"] : {}
      [payload["project_id"], payload["tenant_id"]].include?(flags[:event_project])
    end

    def check(options, flags)
      checked(options, "not available", flags[:retries]) { |monitor| @stdout.puts("available: #{describe(monitor, options)}") }
    end

    # Makes a monitor, verifies it and yields it: 0; or prints the error met
    # after `prefix`: 1. A configuration error is left to the caller (exit 2).
    # A connection or protocol failure is tried again, `--retries` times in
    # all, half a second apart and doubling.
    def checked(options, prefix, retries = DEFAULT_RETRIES)
      attempt = 1
      monitor = OpenstackHTTPEventMonitor.new(options)
      begin
        monitor.verify!
      rescue *TRANSIENT => e
        raise if e.is_a?(SSLError) || attempt >= retries

        sleep(0.5 * (2**(attempt - 1)))
        attempt += 1
        retry
      end
      yield monitor
      EXIT_OK
    rescue ConfigurationError
      raise
    rescue Error => e
      after = attempt > 1 ? " (after #{attempt} attempts)" : ""
      @stderr.puts("#{prefix}: #{e.class.name.split("::").last}: #{e.message}#{after}")
      EXIT_FAILED
    end

    # "source=panko url=http://…/ auth=keystone": what check found.
    def describe(monitor, options)
      stats = monitor.stats
      auth = options[:http]["auth"]
      type = auth.is_a?(Hash) && auth["type"] ? auth["type"] : "none"
      "source=#{stats[:source]} url=#{stats[:endpoint]} auth=#{type}"
    end

    # Checks, then drains the backlog once, printing nothing per event: the
    # monitor writes every exchange to the cassette as it goes.
    def record(options, flags)
      checked(options, "openstack-http-events", flags[:retries]) do |monitor|
        @stderr.puts("available: #{describe(monitor, options)}") unless @quiet
        monitor.start
        polls = FailedPolls.new(monitor, flags[:retries])
        gave_up = nil
        monitor.each_batch do
          gave_up = polls.message if polls.failed?
          monitor.stop if gave_up || monitor.caught_up?
        end
        raise ConnectionError, gave_up if gave_up

        stats = monitor.stats
        @stderr.puts("recorded #{stats[:requests]} requests (#{stats[:events]} events) to #{flags[:cassette]}") unless @quiet
      end
    end

    def tail(options, flags)
      monitor = OpenstackHTTPEventMonitor.new(options)
      stopping = false
      previous = %w[INT TERM].to_h do |signal|
        [signal, trap(signal) do
          stopping = true
          monitor.stop
        end]
      end
      printed = 0
      not_matched = 0
      limit = flags[:max_events]
      output = flags[:output]
      if flags[:progress]
        backread = flags[:command] == "tail" ? options[:http].fetch("backread_seconds", 5) : nil
        progress = Progress.new(monitor, flags[:progress], @stderr, :backread => backread)
      end
      monitor.start
      # a Ctrl-C while `start` ran (it resumes the monitor) is not lost
      monitor.stop if stopping
      polls = FailedPolls.new(monitor, flags[:retries])
      gave_up = nil
      # with a state file, the events a --max-events stop left unprinted are not delivered: a restart prints them
      state = options[:http]["state"]
      monitor.each_batch do |events|
        if flags[:once] && polls.failed?
          gave_up = polls.message
          monitor.stop
          next
        end
        handled = 0
        events.each do |event|
          break if limit && printed >= limit

          handled += 1
          unless wanted?(event.payload, flags)
            not_matched += 1
            next
          end

          output.lines(event.payload).each { |line| @stdout.puts(line) }
          printed += 1
        end
        @stdout.flush
        monitor.deliver_only(handled) if state
        progress&.tick(printed, not_matched)
        monitor.stop if (limit && printed >= limit) || (flags[:once] && monitor.caught_up?)
      end
      stats = monitor.stats
      summary = {:polls => stats[:polls], :events => stats[:events], :printed => printed}
                .merge(stats.slice(:duplicates_dropped, :filtered, :errors, :cursor))
      summary[:not_matched] = not_matched if flags[:types] || flags[:event_project]
      @stderr.puts("stopped: #{summary.map { |k, v| "#{k}=#{v}" }.join(" ")}") unless @quiet
      return EXIT_OK unless gave_up

      @stderr.puts("openstack-http-events: #{gave_up}")
      EXIT_FAILED
    rescue ConfigurationError
      raise
    rescue Error => e
      @stderr.puts("openstack-http-events: #{e.class.name.split("::").last}: #{e.message}")
      EXIT_FAILED
    ensure
      previous&.each { |signal, handler| trap(signal, handler || "DEFAULT") }
    end
  end
end
