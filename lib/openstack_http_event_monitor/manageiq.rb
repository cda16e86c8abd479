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

  # The OpenStack provider classes with an "Events" form tab.
  MANAGERS = %w[ManageIQ::Providers::Openstack::CloudManager ManageIQ::Providers::Openstack::InfraManager].freeze

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

    # Teaches ManageIQ's OpenStack provider the "HTTP" event stream: the
    # provider form's option and sub-form, its validation, its endpoint role
    # and authtype `http`, `event_monitor_options` answering `:http`, and
    # the event catchers' `:http` worker settings (see {ManagerPatches}).
    # Prepends modules, nothing else: ManageIQ's files and data stay as they
    # are. Idempotent; the gem's Rails engine runs it from `to_prepare`
    # (again after each code reload), and a Rails console or a spec may run
    # it once ManageIQ's provider classes are loadable.
    # @return [Boolean] true when the provider classes were found and patched
    def install_manageiq!
      managers = MANAGERS.filter_map { |name| manageiq_constant(name) }
      mixin = manageiq_constant("ManageIQ::Providers::Openstack::ManagerMixin")
      return false if managers.empty? || mixin.nil?

      managers.each do |manager|
        prepend_once(manager.singleton_class, ManagerPatches::ClassMethods)
        prepend_once(manager, ManagerPatches::InstanceMethods)
      end
      prepend_once(mixin, ManagerPatches::EventMonitorOptions)
      runner = manageiq_constant("ManageIQ::Providers::Openstack::EventCatcherRunnerMixin")
      prepend_once(runner, ManagerPatches::WorkerSettings) if runner
      true
    end

    # Whether {install_manageiq!} has patched the provider classes.
    # @return [Boolean]
    def manageiq_installed?
      MANAGERS.any? { |name| manageiq_constant(name)&.ancestors&.include?(ManagerPatches::InstanceMethods) }
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

    def prepend_once(target, patch)
      target.prepend(patch) unless target.ancestors.include?(patch)
    end

    # The constant, autoloaded if need be (`const_defined?` is true for a
    # constant Zeitwerk registered); nil without ManageIQ.
    def manageiq_constant(name)
      name.split("::").reduce(Object) do |scope, part|
        return nil unless scope.is_a?(Module) && scope.const_defined?(part, false)

        scope.const_get(part, false)
      end
    rescue NameError, LoadError
      nil
    end

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
