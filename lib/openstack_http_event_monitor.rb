# frozen_string_literal: true

# OpenstackHTTPEventMonitor: ManageIQ's OpenStack event monitor plugin that
# polls HTTP event services (OpenStack Panko first) from a Rust core.
#
# The class is defined before anything else so that its superclass is set
# once: ManageIQ's OpenstackEventMonitor. When ManageIQ's file is not loaded
# yet (Bundler.require runs before Rails autoloading is ready), an empty
# OpenstackEventMonitor stands in; ManageIQ's file later reopens that same
# class and gives it its plugin machinery. No ManageIQ file is required here.
class OpenstackEventMonitor; end unless defined?(::OpenstackEventMonitor)

class OpenstackHTTPEventMonitor < ::OpenstackEventMonitor
end

require_relative "openstack_http_event_monitor/version"
require_relative "openstack_http_event_monitor/errors"
require_relative "openstack_http_event_monitor/openstack_event"
require_relative "openstack_http_event_monitor/options"
require_relative "openstack_http_event_monitor/event_stream"
require_relative "openstack_http_event_monitor/provider"
require_relative "openstack_http_event_monitor/logging"
require "openstack_http_event_monitor/openstack_http_event_monitor"
require_relative "openstack_http_event_monitor/monitor"
require_relative "openstack_http_event_monitor/provider_form"
require_relative "openstack_http_event_monitor/manager_patches"
require_relative "openstack_http_event_monitor/manageiq"
require_relative "openstack_http_event_monitor/engine" if defined?(::Rails::Engine)

OpenstackHTTPEventMonitor.register!
