#pragma once

#include "service/apply.hpp"
#include "service/catalog.hpp"
#include "service/catalog_service.hpp"
#include "service/content_store.hpp"
#include "service/context.hpp"
#include "service/device_service.hpp"
#include "store/store.hpp"

namespace groundcrew::service {

/// Every use case of the service over one store, wired once by the daemon's main.
struct Services {
  Services(store::Store& store_in, ContentStore content_in, Clock clock_in)
      : store(store_in),
        clock(std::move(clock_in)),
        catalog(store),
        resources(store, catalog, clock),
        devices(store, catalog, clock),
        apply(store, catalog, devices, clock),
        content(std::move(content_in)) {}

  store::Store& store;
  Clock clock;
  Catalog catalog;
  CatalogService resources;
  DeviceService devices;
  ApplyService apply;
  ContentStore content;
};

}  // namespace groundcrew::service
