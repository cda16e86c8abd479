# frozen_string_literal: true

# An event monitor plugin for ManageIQ's OpenStack provider that polls an
# HTTP event service (OpenStack Panko's v2 events API). Polling, HTTP,
# authentication, paging, de-duplication and conversion run in Rust without
# the GVL; this class is what ManageIQ's event catcher sees.
#
# @example
#   monitor = OpenstackHTTPEventMonitor.new(http: {url: "http://panko:8977", auth: {type: :none}})
#   monitor.start
#   monitor.each_batch { |events| queue.concat(events) }  # until monitor.stop
class OpenstackHTTPEventMonitor
  # ManageIQ's converters give every event this metadata.
  METADATA = {:user_id => nil, :priority => nil, :content_type => nil}.freeze

  # The files of the plain OpenstackEvent classes, ManageIQ's and this
  # gem's: `initialize(payload, metadata)` sets @payload and @metadata and
  # nothing else, so events of theirs are made without calling it.
  PLAIN_EVENT_FILES = %w[/legacy/events/openstack_event.rb /openstack_http_event_monitor/openstack_event.rb].freeze

  class << self
    # Whether the event service can be reached with these options. Never
    # raises for configuration, network or authentication trouble: it logs
    # why and returns false.
    #
    # @param options [Hash] ManageIQ's options hash
    # @return [Boolean]
    def available?(options = {})
      verify!(options)
      true
    rescue Error => e
      Logging.log(options.is_a?(Hash) ? options[:logger] : nil, :warn, "event service not available: #{e.message}")
      false
    end

    # Like {available?}, but raises the error met, with a message a ManageIQ
    # user can act on. With ManageIQ loaded the exception is also ManageIQ's
    # matching class (MiqException::MiqInvalidCredentialsError, MiqHostError,
    # ServiceNotAvailable).
    #
    # @raise [ConfigurationError, AuthenticationError, ConnectionError, SSLError,
    #   ServiceNotAvailableError, ProtocolError]
    # @return [true]
    def verify!(options = {})
      new(options).verify!
    rescue ServiceError => e
      raise for_manageiq(e)
    end

    # ManageIQ tries plugins with a higher priority first.
    # @return [Integer]
    def plugin_priority
      1
    end
  end

  # Validates the options; makes no request.
  #
  # `:http => {:state => "path/to/file"}` keeps where polling stands in that
  # file and resumes from it: the cursor, the service's own cursor (generic
  # JSON source) and the `message_id`s of the back-read window, written
  # atomically (mode 0600) after each batch whose block returned, so that a
  # restarted monitor neither repeats nor skips. A state file present takes
  # precedence over `:since` and the `:ems` timestamp; an absent one is
  # created at the first poll. A file that is not a whole state of this
  # version, or the state of another stream (another URL, source,
  # all_tenants, event_types_regex or Keystone project), is a
  # ConfigurationError naming `http.state` and the file, never a silent
  # start from scratch. For polled sources only: a push receiver keeps its
  # place in its spool, and `:state` with it is a ConfigurationError.
  #
  # @param options [Hash] `:http` (see README), optionally `:ems` (its newest
  #   `ems_events` timestamp starts the cursor) and `:logger`
  # @raise [ConfigurationError] (an ArgumentError) naming the bad option
  def initialize(options = {})
    http = Options.http(options)
    @ems = options[:ems]
    @logger = options[:logger]
    @description = describe(http)
    if http["verify_ssl"] == false
      Logging.log(@logger, :warn, "TLS certificates are not verified for #{@description} " \
                                  "(verify_ssl false or the provider's security_protocol)")
    end
    @explicit_since = !http["since"].nil?
    @native = Native.new(http)
    @native.stop
    @started = false
    # fetched and converted, not yet delivered
    @pending = []
    # how many of them the block has now
    @in_block = 0
  end

  # Marks the monitor running. The first start sets the cursor from the
  # provider's newest stored event unless `:since` was given; a start after
  # {stop} resumes where polling stopped.
  # @return [void]
  def start
    unless @started
      since = Provider.cursor_start(@ems) unless @explicit_since
      @native.start_from(since) if since
      @started = true
    end
    @native.resume
    # a push receiver binds its port here; a poller needs nothing
    @native.start
    nil
  end

  # Ends {each_batch} (and {each}) soon, from the block or any other thread;
  # an HTTP request or wait in progress is abandoned at once.
  # @return [void]
  def stop
    @native.stop
    nil
  end

  # @return [Boolean] whether started and not stopped
  def running?
    !@native.stopped?
  end

  # Polls until {stop}: yields once per poll, an Array of OpenstackEvent
  # (empty when nothing is new). A backlog comes page by page, back to back;
  # otherwise polls are at least `:poll_interval` apart. Errors the poll can
  # ride out are logged and retried with back-off; others are raised.
  #
  # Delivery is acknowledged by the block: a batch counts as delivered when
  # the block returns (or only its first events: {#deliver_only}). If the
  # block raises, breaks or is interrupted (Timeout, Thread#raise), or an
  # interrupt comes between the fetch and the yield, the batch is yielded
  # again, first, by the next {each_batch} or {each} on this monitor:
  # exactly once for blocks that return, at least once for a block that did
  # not. With `:state`, the state file is written after each batch whose
  # block returned, and when each_batch ends (with the events of a batch
  # partly delivered through {#deliver_only} or {#each}).
  #
  # @yieldparam events [Array<OpenstackEvent>]
  # @return [void]
  # @raise [BusyError] when another thread is polling with this monitor
  def each_batch
    polling do
      while fill
        batch = @pending.dup
        @in_block = batch.size
        @only = nil
        yield batch
        # nothing between the block's return and this line checks for
        # interrupts: a block that returned is never yielded to again
        done = @only && @only < batch.size ? @only : batch.size
        @pending.shift(done)
        @native.delivered(done)
        batch = nil # the next page is built while this one could be collected
      end
    end
  end

  # Like {each_batch}, one event at a time; an event counts as delivered
  # when the block returns, and one that was not comes first next time.
  # @yieldparam event [OpenstackEvent]
  # @return [void]
  def each
    polling do
      while fill
        until @pending.empty?
          @in_block = 1
          yield @pending.first
          @pending.shift
          @native.delivered(1)
        end
      end
    end
  end

  # Called from an {#each_batch} block that handled only the first `count`
  # events of its batch (it stops early, say): when the block returns, only
  # those count as delivered. The others stay undelivered: they come first
  # at the next {#each_batch} or {#each}, and a state file (`:state`) does
  # not move past them.
  #
  # @param count [Integer] 0 up to the batch's size
  # @return [void]
  def deliver_only(count)
    raise ArgumentError, "count must be an Integer of 0 or more, got #{count.inspect}" unless count.is_a?(Integer) && count >= 0

    @only = count
    nil
  end

  # Where polling stands, counting only the events whose block returned:
  # the text a state file (`:state`) holds, a JSON object (format version,
  # the stream it belongs to, newest timestamp seen, floor, the service's
  # own cursor, the digest seed and the digests of the `message_id`s
  # delivered inside the back-read window). No password or token is in it.
  # To resume from a state kept elsewhere, write it to a file and give
  # that file as `:state`.
  #
  # @return [String, nil] nil for a push receiver (its spool keeps its
  #   place), and when first asked for from inside a block by a monitor
  #   without `:state` (the state before that poll was not kept; from then
  #   on it is)
  # @raise [BusyError] while another thread is inside a poll of this
  #   monitor (from the block of {#each_batch} or {#each} it never is)
  def state
    @native.state
  ensure
    flush_logs
  end

  # @return [Integer] events fetched and converted but not delivered yet
  #   (they come first at the next {each_batch} or {each})
  def undelivered
    @pending.size
  end

  # Authenticates, finds the event service and asks it for one event.
  # @return [true]
  def verify!
    @native.check
  ensure
    flush_logs
  end

  # Counters since the monitor was created.
  # @return [Hash{Symbol => Object}] :polls, :requests, :events,
  #   :duplicates_dropped, :filtered, :skipped, :unreadable, :errors, :retries,
  #   :authentications, :last_error, :cursor, :undelivered; :events counts
  #   delivered events (the block returned); :source and :endpoint, the
  #   source and event service URL {#verify!} found (nil before); :received
  #   and :refused, a push receiver's events accepted and requests refused
  def stats
    @native.stats.merge(:undelivered => @pending.size)
  end

  # Whether the last poll reached the end of the service's backlog and
  # every event fetched was delivered (or is in the block now).
  # @return [Boolean]
  def caught_up?
    @pending.size <= @in_block && @native.caught_up?
  end

  # @return [String] no secrets
  def inspect
    "#<#{self.class.name} #{@description} running=#{running?}>"
  end
  alias to_s inspect

  # Keeps `pp` from listing instance variables.
  def pretty_print(printer)
    printer.text(inspect)
  end

  private

  # Appends the next events to @pending unless undelivered ones are there;
  # false when stopped.
  def fill
    @native.fill(@pending, ::OpenstackEvent, plain_event_class?, METADATA)
  ensure
    flush_logs
  end

  # Whether ::OpenstackEvent's own `initialize` is one of the plain ones;
  # a reopened, prepended or replaced one is called as usual.
  def plain_event_class?
    init = ::OpenstackEvent.instance_method(:initialize)
    file = init.source_location&.first
    init.owner == ::OpenstackEvent && init.arity == 2 && !file.nil? && PLAIN_EVENT_FILES.any? { |f| file.end_with?(f) }
  end

  # Runs a poll loop; on the way out the state file is saved with what was
  # delivered. `in_flight` is the exception leaving this loop, caught here:
  # `$!` would also be a caller's exception being handled around the call.
  def polling
    in_flight = nil
    yield
  rescue Exception => e # rubocop:disable Lint/RescueException -- noted for save_state, raised again
    in_flight = e
    Logging.log(@logger, :error, "polling stopped: #{e.class}: #{e.message}") if e.is_a?(Error) && !e.is_a?(BusyError)
    raise
  ensure
    @in_block = 0
    save_state(in_flight)
    flush_logs
  end

  # Writes the state file (`:state`) with the events delivered so far, a
  # part of a batch included. Its failure is raised, unless another
  # exception is on its way out (then it is logged).
  def save_state(in_flight)
    return if in_flight.is_a?(BusyError)

    @native.flush_state
  rescue Error => e
    raise if in_flight.nil?

    Logging.log(@logger, :error, "state not saved: #{e.class}: #{e.message}")
  end

  def flush_logs
    @native.drain_logs.each { |level, message, at| Logging.log(@logger, level, message, Time.at(at)) }
  end

  # The auth keys `inspect` may show, by auth type: never a password, token,
  # header value or client secret.
  SHOWN_AUTH_KEYS = {
    "keystone" => {"url" => "keystone", "username" => "user"},
    "basic"    => {"username" => "user"},
    "header"   => {"name" => "header"},
    "oauth2"   => {"token_url" => "token_url", "client_id" => "client_id"}
  }.freeze
  private_constant :SHOWN_AUTH_KEYS

  def describe(http)
    source = http["source"]
    if source.is_a?(Hash) && source["type"].to_s == "push" || source.to_s == "push"
      push = source.is_a?(Hash) ? source : {}
      return "push listen=#{push["listen"] || "0.0.0.0:8780"} path=#{push["path"] || "/events"}"
    end
    auth = http["auth"].is_a?(Hash) ? http["auth"] : {}
    type = (auth["type"] || "none").to_s
    parts = ["url=#{http["url"] || "(from catalog)"}", "auth=#{type}"]
    SHOWN_AUTH_KEYS.fetch(type, {}).each { |key, label| parts << "#{label}=#{auth[key]}" if auth[key] }
    parts.join(" ")
  end
end
