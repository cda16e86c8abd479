# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # Makes `OpenstackEventMonitor.event_monitor_selected_class` answer this
  # class for `:events_monitor => :http`, leaving every other choice to
  # ManageIQ. Prepended to the singleton class, so it holds whether ManageIQ's
  # file was loaded before the gem or reopens the stand-in afterwards.
  module Selection
    # @param options [Hash] ManageIQ's options
    def event_monitor_selected_class(options)
      OpenstackHTTPEventMonitor.selected_by?(options && options[:events_monitor]) ? OpenstackHTTPEventMonitor : super
    end
  end

  # ManageIQ exception classes matching this gem's errors, by name (looked
  # up when raised: MiqException is a ManageIQ app constant).
  MIQ_EXCEPTIONS = {
    "AuthenticationError"      => "MiqInvalidCredentialsError",
    "ConnectionError"          => "MiqHostError",
    "SSLError"                 => "MiqHostError",
    "ServiceNotAvailableError" => "ServiceNotAvailable"
  }.freeze

  class << self
    # Registers the plugin with ManageIQ's OpenstackEventMonitor. Idempotent;
    # run when the gem is loaded.
    # @return [true]
    def register!
      meta = ::OpenstackEventMonitor.singleton_class
      meta.prepend(Selection) unless meta.ancestors.include?(Selection)
      true
    end

    # The `:events_monitor` values that select this plugin.
    # @return [Array<Symbol>]
    def events_monitors
      @events_monitors ||= [:http]
    end

    # Also serve another `:events_monitor` value, e.g. `:ceilometer` to
    # replace the fog-based Panko monitor for providers configured with it.
    # @param names [Array<Symbol>]
    def serve(*names)
      @events_monitors = (events_monitors + names.map(&:to_sym)).uniq
    end

    # @return [Boolean]
    def selected_by?(value)
      value && events_monitors.include?(value.to_sym)
    end

    # With ManageIQ loaded, the ManageIQ exception a caller can rescue for
    # `error` (still an {Error}, and still rescuable as its own class).
    # @return [Exception]
    def for_manageiq(error)
      miq_name = MIQ_EXCEPTIONS[error.class.name.to_s.split("::").last]
      return error unless miq_name && defined?(::MiqException) && ::MiqException.const_defined?(miq_name, false)

      miq_class(error.class, ::MiqException.const_get(miq_name, false)).new(error.message).tap do |miq|
        miq.set_backtrace(error.backtrace) if error.backtrace
      end
    end

    private

    def miq_class(ours, miq)
      @miq_classes ||= {}
      @miq_classes[[ours, miq]] ||= Class.new(miq) do
        include OpenstackHTTPEventMonitor::Error
        define_singleton_method(:openstack_http_error_class) { ours }
        define_method(:openstack_http_error_class) { ours }
        define_singleton_method(:name) { "#{miq.name}(#{ours.name})" }
      end
    end
  end
end
