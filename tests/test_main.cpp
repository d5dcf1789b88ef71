#define BOOST_TEST_MODULE mes_gateway
#include <boost/test/unit_test.hpp>
