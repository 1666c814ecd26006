// The signer_test module: see tests/signer/CMakeLists.txt for its units.
#define BOOST_TEST_MODULE signer
#include <boost/test/unit_test.hpp>
